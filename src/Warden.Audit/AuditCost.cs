namespace Warden.Audit;

/// <summary>A cost attributed to an event.</summary>
/// <param name="Amount">The amount; encoded canonically as a decimal string without trailing zeros.</param>
/// <param name="Unit">An ISO 4217 currency code (<c>USD</c>) or a unit such as <c>tokens</c>.</param>
public sealed record AuditCost(decimal Amount, string Unit);
