namespace Warden.Audit.Interop;

/// <summary>Context for <see cref="OtlpLogsImporter"/>: what the receiving endpoint knows about the sender.</summary>
public sealed record OtlpImportOptions
{
    /// <summary>Organisation the events belong to (from the authenticated integration, never from the payload).</summary>
    public required string OrgId { get; init; }

    /// <summary>Vendor of the sending tool, e.g. <c>anthropic</c>, <c>openai</c>.</summary>
    public required string Vendor { get; init; }

    /// <summary>Product name when the resource carries no <c>service.name</c>.</summary>
    public string DefaultProduct { get; init; } = "unknown";

    /// <summary>User the integration acts for (from authentication); becomes <see cref="AuditEvent.OnBehalfOf"/>.</summary>
    public string? OnBehalfOf { get; init; }

    /// <summary>Most log records accepted in one request.</summary>
    public int MaxRecords { get; init; } = 10_000;

    /// <summary>Deepest JSON nesting accepted.</summary>
    public int MaxDepth { get; init; } = 32;
}
