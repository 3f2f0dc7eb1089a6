using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>
/// A forward-only pass over stored audit rows in sequence order, exposing each row's columns without copying them
/// into arrays of their own: what <see cref="StoreVerifier"/> reads (see <see cref="SqlAuditLedgerStore.OpenRowCursorAsync"/>).
/// </summary>
public interface IAuditRowCursor : IAsyncDisposable
{
    /// <summary>Moves to the next row; false at the end.</summary>
    ValueTask<bool> ReadAsync(CancellationToken cancellationToken);

    /// <summary>The current row's sequence.</summary>
    long Sequence { get; }

    /// <summary>The stored previous hash; <see cref="AuditHash.Zero"/> when the column does not hold 32 bytes.</summary>
    AuditHash PreviousHash { get; }

    /// <summary>The stored hash; <see cref="AuditHash.Zero"/> when the column does not hold 32 bytes.</summary>
    AuditHash Hash { get; }

    /// <summary>For a row whose content retention erased, the sequence of the erase record.</summary>
    long? ErasedBy { get; }

    /// <summary>The current row's canonical bytes; valid only until the next <see cref="ReadAsync"/>.</summary>
    ReadOnlySpan<byte> Body { get; }
}
