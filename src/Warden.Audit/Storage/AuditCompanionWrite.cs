namespace Warden.Audit.Storage;

/// <summary>
/// Another component's write that commits in the same store transaction as the audit events it is appended with
/// (<see cref="AuditWriter.AppendWithAsync"/>): both become durable in one commit, or neither does. The writer hands
/// it, unopened, to an <see cref="ICompanionAuditLedgerStore"/>, which knows its concrete type (a SQL store runs a
/// function on its connection and transaction).
/// </summary>
public abstract class AuditCompanionWrite
{
}
