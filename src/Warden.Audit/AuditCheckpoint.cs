using Warden.Audit.Canonical;

namespace Warden.Audit;

/// <summary>
/// A signed statement that events <see cref="FromSequence"/>..<see cref="ToSequence"/> (inclusive) exist and end in
/// <see cref="LastEventHash"/>. Checkpoints chain to each other through <see cref="PreviousCheckpointHash"/> and
/// cover contiguous ranges, so deleting or rewriting events (even with recomputed hashes) is detectable by anyone
/// holding the public key. Encoding and signature format: see <see cref="AuditCanonicalJson"/>.
/// </summary>
public sealed record AuditCheckpoint
{
    /// <summary>The ledger this checkpoint belongs to.</summary>
    public required string LedgerId { get; init; }

    /// <summary>First sequence covered (previous checkpoint's <see cref="ToSequence"/> + 1, or 1).</summary>
    public required long FromSequence { get; init; }

    /// <summary>Last sequence covered.</summary>
    public required long ToSequence { get; init; }

    /// <summary>Hash of event <see cref="ToSequence"/>.</summary>
    public required AuditHash LastEventHash { get; init; }

    /// <summary>Hash of the previous checkpoint, or the ledger genesis value for the first.</summary>
    public required AuditHash PreviousCheckpointHash { get; init; }

    /// <summary>When the checkpoint was made (UTC, millisecond precision).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Id of the signing key (<see cref="Signing.AuditSigningKey.KeyId"/>).</summary>
    public required string KeyId { get; init; }

    /// <summary>ECDSA P-256 / SHA-256 signature over the canonical bytes, IEEE P1363 format (64 bytes).</summary>
    public required ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary><c>SHA-256</c> of the canonical checkpoint bytes (signature excluded); the next checkpoint links to it.</summary>
    public AuditHash ComputeHash() => AuditHash.Compute(AuditCanonicalJson.EncodeCheckpoint(this));

    /// <inheritdoc />
    public bool Equals(AuditCheckpoint? other) =>
        other is not null
        && LedgerId == other.LedgerId
        && FromSequence == other.FromSequence
        && ToSequence == other.ToSequence
        && LastEventHash == other.LastEventHash
        && PreviousCheckpointHash == other.PreviousCheckpointHash
        && Timestamp == other.Timestamp
        && KeyId == other.KeyId
        && Signature.Span.SequenceEqual(other.Signature.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(LedgerId, FromSequence, ToSequence, LastEventHash);
}
