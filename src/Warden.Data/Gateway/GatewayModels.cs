namespace Warden.Data.Gateway;

/// <summary>A model provider as the API shows it: the credential is never returned, only whether one is set.</summary>
public sealed record ModelProvider(
    string Id, string Name, string Kind, string BaseUrl, string? ApiVersion, string? Region, bool HasCredential,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a caller sets on a provider. <see cref="Credential"/> null keeps the stored one; empty clears it.</summary>
public sealed record ProviderSpec(string Name, string Kind, string BaseUrl, string? ApiVersion = null, string? Region = null, string? Credential = null);

/// <summary>A provider with its decrypted credential, for the gateway's own use only.</summary>
public sealed record ResolvedProvider(string Name, string Kind, string BaseUrl, string? ApiVersion, string? Region, string? Credential)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Kind} {BaseUrl})";
}

/// <summary>One place a route sends requests: a provider and the model name that provider knows.</summary>
public sealed record RouteTarget(string Provider, string Model, int Weight = 1);

/// <summary>
/// A model alias clients ask for. Requests go to one of <see cref="Targets"/> chosen by weight among healthy ones;
/// when that fails (error, timeout, rate limit) the others are tried, then <see cref="Fallbacks"/> in order.
/// </summary>
public sealed record ModelRoute(
    string Id, string Name, IReadOnlyList<RouteTarget> Targets, IReadOnlyList<RouteTarget> Fallbacks, int TimeoutMs, int Retries,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a caller sets on a route.</summary>
public sealed record RouteSpec(string Name, IReadOnlyList<RouteTarget> Targets, IReadOnlyList<RouteTarget>? Fallbacks = null, int? TimeoutMs = null, int? Retries = null);

/// <summary>A price per million tokens, in US dollars.</summary>
public sealed record ModelPrice(string Model, decimal InputPerMTok, decimal OutputPerMTok, decimal CachedInputPerMTok, bool IsDefault, string? UpdatedBy, DateTimeOffset? UpdatedAt)
{
    /// <summary>The cost of a call, in micro-dollars, rounded half away from zero.</summary>
    public long CostMicros(long inputTokens, long outputTokens, long cachedInputTokens)
    {
        var uncached = Math.Max(0, inputTokens - cachedInputTokens);
        var dollars = (uncached * InputPerMTok + cachedInputTokens * CachedInputPerMTok + outputTokens * OutputPerMTok) / 1_000_000m;
        return (long)Math.Round(dollars * 1_000_000m, MidpointRounding.AwayFromZero);
    }
}

/// <summary>A virtual key as listed (never the secret).</summary>
public sealed record VirtualKey(
    string Id, string Name, string Prefix, string OwnerKind, string? OwnerId, string OwnerName, IReadOnlyList<string> AllowedModels,
    int? Rpm, int? Tpm, int? MaxConcurrency, decimal? BudgetUsd, string BudgetPeriod, bool Capture, int CaptureDays, string Inspection,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>What a caller sets on a new key.</summary>
public sealed record VirtualKeySpec(
    string Name, string OwnerKind = "user", string? Owner = null, IReadOnlyList<string>? AllowedModels = null,
    int? Rpm = null, int? Tpm = null, int? MaxConcurrency = null, decimal? BudgetUsd = null, string? BudgetPeriod = null,
    bool Capture = false, int? CaptureDays = null, string? Inspection = null, DateTimeOffset? ExpiresAt = null, string? SessionId = null);

/// <summary>A key just created: the secret is here and nowhere else.</summary>
public sealed record CreatedVirtualKey(VirtualKey Key, string Secret);

/// <summary>What the gateway knows about the key a request came with.</summary>
public sealed record VirtualKeyIdentity(
    string Id, string Name, string OrgId, string OrgName, string OwnerKind, string? OwnerId, string OwnerName,
    string? UserId, string? TeamId, IReadOnlyList<string> AllowedModels, int? Rpm, int? Tpm, int? MaxConcurrency,
    long? BudgetMicros, string BudgetPeriod, bool Capture, int CaptureDays, string Inspection, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt,
    string? SessionId = null);

/// <summary>One gateway call, as recorded for usage and cost.</summary>
public sealed record ModelUsageRecord(
    string Id, string OrgId, string KeyId, string? UserId, string? TeamId, string Route, string? Provider, string? Model, string? Client,
    int Status, string Outcome, long InputTokens, long OutputTokens, long CachedTokens, long CostMicros, long LatencyMs, bool Streamed, DateTimeOffset At);

/// <summary>A captured prompt and response, sealed at rest, kept until <see cref="ExpiresAt"/>.</summary>
public sealed record ModelCapture(string UsageId, string OrgId, string KeyId, string Request, string? Response, DateTimeOffset At, DateTimeOffset ExpiresAt);

/// <summary>Usage totals for one group (a key, team, user, model or route) over a period.</summary>
public sealed record UsageTotal(string Group, string? Label, long Requests, long Errors, long InputTokens, long OutputTokens, decimal CostUsd);
