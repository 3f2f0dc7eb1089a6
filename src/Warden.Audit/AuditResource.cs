namespace Warden.Audit;

/// <summary>What an action was performed on.</summary>
/// <param name="Type">Resource type, e.g. <c>repository</c>, <c>token</c>, <c>model</c>, <c>tool</c>.</param>
/// <param name="Id">Resource identifier.</param>
public sealed record AuditResource(string Type, string Id);
