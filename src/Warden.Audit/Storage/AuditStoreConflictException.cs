namespace Warden.Audit.Storage;

/// <summary>
/// Thrown by <see cref="IAuditLedgerStore.AppendAsync"/> when a batch does not continue the stored chain
/// (wrong first sequence or previous hash), e.g. because a second writer appended to the same ledger.
/// </summary>
public sealed class AuditStoreConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuditStoreConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditStoreConflictException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditStoreConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
