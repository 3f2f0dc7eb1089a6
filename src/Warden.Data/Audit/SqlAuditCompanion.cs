using System.Data.Common;
using Warden.Audit.Storage;

namespace Warden.Data.Audit;

/// <summary>
/// A write that commits in the same transaction as the audit events it is appended with
/// (<see cref="Warden.Audit.AuditWriter.AppendWithAsync"/> over a <see cref="SqlAuditLedgerStore"/>). Like work given to
/// <see cref="ConnectionFactory.WriteAsync{T}"/>, it does database work on the connection and transaction it is handed,
/// never commits them and never waits for another writer.
/// </summary>
public sealed class SqlAuditCompanion<T>(Func<DbConnection, DbTransaction, Task<T>> work) : SqlAuditCompanion
{
    /// <summary>What the work returned, once it ran (read it after the append completed).</summary>
    public T Result { get; private set; } = default!;

    /// <inheritdoc />
    internal override async Task RunAsync(DbConnection connection, DbTransaction tx) => Result = await work(connection, tx).ConfigureAwait(false);
}

/// <summary>The non-generic face of <see cref="SqlAuditCompanion{T}"/>, which the store runs.</summary>
public abstract class SqlAuditCompanion : AuditCompanionWrite
{
    /// <summary>Runs the write inside the batch's transaction.</summary>
    internal abstract Task RunAsync(DbConnection connection, DbTransaction tx);
}
