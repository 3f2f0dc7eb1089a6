namespace Warden.Audit.Storage;

/// <summary>
/// Thrown by an <see cref="ICompanionAuditLedgerStore"/> when a companion write failed: nothing of the batch was
/// written. The inner exception is the companion's own.
/// </summary>
public sealed class AuditCompanionException : Exception
{
    /// <summary>Creates the exception for <paramref name="companion"/>, which threw <paramref name="inner"/>.</summary>
    public AuditCompanionException(AuditCompanionWrite companion, Exception inner)
        : base("A write committed with audit events failed: " + inner?.Message, inner)
    {
        Companion = companion;
    }

    /// <summary>Creates the exception.</summary>
    public AuditCompanionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditCompanionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AuditCompanionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The companion that failed.</summary>
    public AuditCompanionWrite? Companion { get; }
}
