namespace Warden.Audit;

/// <summary>
/// Thrown by <see cref="AuditWriter.StartAsync"/> when the stored chain no longer matches its last signed
/// checkpoint. The writer refuses to extend a tampered or damaged ledger; investigate with
/// <see cref="Verification.LedgerVerifier"/>.
/// </summary>
public sealed class AuditLedgerCorruptException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuditLedgerCorruptException(long sequence, string message)
        : base(message)
    {
        Sequence = sequence;
    }

    /// <summary>Creates the exception.</summary>
    public AuditLedgerCorruptException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditLedgerCorruptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditLedgerCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The first sequence found to be wrong.</summary>
    public long Sequence { get; }
}
