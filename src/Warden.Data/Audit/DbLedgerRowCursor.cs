using System.Data.Common;
using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>
/// Reads audit rows through ADO.NET (PostgreSQL): each blob arrives as an array of its own, as before; only SQLite
/// has the native path (<see cref="SqliteLedgerRowCursor"/>).
/// </summary>
internal sealed class DbLedgerRowCursor(DbConnection connection, DbCommand command, DbDataReader reader) : IAuditRowCursor
{
    private byte[] _body = [];

    public long Sequence { get; private set; }

    public AuditHash PreviousHash { get; private set; }

    public AuditHash Hash { get; private set; }

    public long? ErasedBy { get; private set; }

    public ReadOnlySpan<byte> Body => _body;

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Columns in order: the reader is opened with SequentialAccess.
        Sequence = reader.GetInt64(0);
        PreviousHash = SqliteLedgerRowCursor.ToHash(reader.GetValue(1) as byte[]);
        Hash = SqliteLedgerRowCursor.ToHash(reader.GetValue(2) as byte[]);
        _body = reader.GetValue(3) as byte[] ?? [];
        ErasedBy = reader.IsDBNull(4) ? null : reader.GetInt64(4);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync().ConfigureAwait(false);
        await command.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
