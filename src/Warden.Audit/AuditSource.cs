namespace Warden.Audit;

/// <summary>Where an event came from.</summary>
/// <param name="Vendor">Producer vendor, e.g. <c>warden</c>, <c>anthropic</c>, <c>openai</c>.</param>
/// <param name="Product">Producer product, e.g. <c>warden-server</c>, <c>claude-code</c>, <c>codex</c>.</param>
/// <param name="SessionId">Optional session / conversation id (OpenTelemetry <c>gen_ai.conversation.id</c> where applicable).</param>
/// <param name="ExternalEventId">Optional id the producer gave the event, for imported events (deduplication key).</param>
public sealed record AuditSource(string Vendor, string Product, string? SessionId = null, string? ExternalEventId = null)
{
    /// <summary>Events Warden produces itself.</summary>
    public static AuditSource Warden { get; } = new("warden", "warden-server");
}
