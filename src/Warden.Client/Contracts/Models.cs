namespace Warden.Client.Contracts;

/// <summary>A model provider. The credential is never returned: only whether one is set.</summary>
public sealed record ModelProviderDto(string Name, string Kind, string BaseUrl, string? ApiVersion, string? Region, bool HasCredential, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Creates or replaces a provider. <see cref="Credential"/> null keeps the stored one, empty clears it.</summary>
public sealed record PutModelProviderRequest(string Kind, string BaseUrl, string? ApiVersion = null, string? Region = null, string? Credential = null);

/// <summary>A provider and the model name it knows, with a weight among a route's targets.</summary>
public sealed record RouteTargetDto(string Provider, string Model, int Weight = 1);

/// <summary>The live state of one route target: healthy, or cooling down after consecutive failures.</summary>
public sealed record TargetHealthDto(string Provider, string Model, string State, int ConsecutiveFailures, DateTimeOffset? CoolingUntil, string? LastError);

/// <summary>A model alias and where its requests go.</summary>
public sealed record ModelRouteDto(string Name, IReadOnlyList<RouteTargetDto> Targets, IReadOnlyList<RouteTargetDto> Fallbacks, int TimeoutMs, int Retries,
    string CreatedBy, DateTimeOffset UpdatedAt, IReadOnlyList<TargetHealthDto>? Health = null);

/// <summary>Creates or replaces a route.</summary>
public sealed record PutModelRouteRequest(IReadOnlyList<RouteTargetDto> Targets, IReadOnlyList<RouteTargetDto>? Fallbacks = null, int? TimeoutMs = null, int? Retries = null);

/// <summary>A price in US dollars per million tokens. <see cref="IsDefault"/>: Warden's shipped list price, not the org's own.</summary>
public sealed record ModelPriceDto(string Model, decimal InputPerMTok, decimal OutputPerMTok, decimal CachedInputPerMTok, bool IsDefault);

/// <summary>Sets the org's price for a model.</summary>
public sealed record PutModelPriceRequest(string Model, decimal InputPerMTok, decimal OutputPerMTok, decimal? CachedInputPerMTok = null);

/// <summary>A virtual key for the model gateway (never its secret).</summary>
public sealed record VirtualKeyDto(
    string Id, string Name, string Prefix, string OwnerKind, string OwnerName, IReadOnlyList<string> AllowedModels,
    int? Rpm, int? Tpm, int? MaxConcurrency, decimal? BudgetUsd, string BudgetPeriod, bool Capture, int CaptureDays, string Inspection,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, decimal? SpentUsd = null);

/// <summary>Creates a virtual key. Owner kind user (default: yourself), team or service.</summary>
public sealed record CreateVirtualKeyRequest(
    string Name, string? OwnerKind = null, string? Owner = null, IReadOnlyList<string>? AllowedModels = null,
    int? Rpm = null, int? Tpm = null, int? MaxConcurrency = null, decimal? BudgetUsd = null, string? BudgetPeriod = null,
    bool Capture = false, int? CaptureDays = null, string? Inspection = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A key just created: the secret is shown this once.</summary>
public sealed record CreatedVirtualKeyDto(VirtualKeyDto Key, string Secret);

/// <summary>Usage totals for one group over a period.</summary>
public sealed record UsageTotalDto(string Group, string? Label, long Requests, long Errors, long InputTokens, long OutputTokens, decimal CostUsd);

/// <summary>One gateway call.</summary>
public sealed record ModelCallDto(
    string Id, string KeyId, string Route, string? Provider, string? Model, string? Client, int Status, string Outcome,
    long InputTokens, long OutputTokens, long CachedTokens, decimal CostUsd, long LatencyMs, bool Streamed, DateTimeOffset At, bool Captured = false);

/// <summary>A captured prompt and response.</summary>
public sealed record ModelCaptureDto(string CallId, string Request, string? Response, DateTimeOffset At, DateTimeOffset ExpiresAt);
