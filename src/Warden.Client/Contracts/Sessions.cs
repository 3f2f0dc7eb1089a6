using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

/// <summary>Starts an agent session: "do this in that repository".</summary>
/// <param name="Repo">A repository registered in the org (<c>warden repo add</c>).</param>
/// <param name="Instruction">What the agent should do.</param>
/// <param name="Base">The branch to start from; the repository's default branch when null.</param>
/// <param name="Route">The model route; the org's <c>default</c> route when null.</param>
/// <param name="Pool">The worker pool; <c>default</c> when null.</param>
/// <param name="MaxSteps">Model calls the session may make (default 50).</param>
/// <param name="MaxCostUsd">Model spend allowed (default $5).</param>
/// <param name="MaxMinutes">Wall-clock minutes allowed (default 30).</param>
public sealed record CreateSessionRequest(string Repo, string Instruction, string? Base = null, string? Route = null, string? Pool = null,
    int? MaxSteps = null, decimal? MaxCostUsd = null, double? MaxMinutes = null);

/// <summary>An agent session.</summary>
public sealed record SessionDto
{
    /// <summary>The id (<c>ses_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The org.</summary>
    public required string Org { get; init; }

    /// <summary>The parent session, for a sub-agent.</summary>
    public string? ParentId { get; init; }

    /// <summary>The session this one retries.</summary>
    public string? RetryOf { get; init; }

    /// <summary>Who asked.</summary>
    public required string User { get; init; }

    /// <summary>The repository.</summary>
    public required string Repo { get; init; }

    /// <summary>The base branch.</summary>
    public required string Base { get; init; }

    /// <summary>The task.</summary>
    public required string Instruction { get; init; }

    /// <summary>The model route.</summary>
    public required string Route { get; init; }

    /// <summary>The worker pool.</summary>
    public required string Pool { get; init; }

    /// <summary>queued, running, waiting, succeeded, failed or cancelled.</summary>
    public required string State { get; init; }

    /// <summary>Why it is in that state.</summary>
    public string? StateReason { get; init; }

    /// <summary>Model calls made, and allowed.</summary>
    public int Steps { get; init; }

    /// <summary>Model calls allowed.</summary>
    public int MaxSteps { get; init; }

    /// <summary>Spend so far.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Spend allowed.</summary>
    public decimal MaxCostUsd { get; init; }

    /// <summary>Wall-clock minutes allowed.</summary>
    public double MaxMinutes { get; init; }

    /// <summary>Tokens in.</summary>
    public long InputTokens { get; init; }

    /// <summary>Tokens out.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The worker.</summary>
    public string? Worker { get; init; }

    /// <summary>The commit the work started from.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The branch pushed.</summary>
    public string? Branch { get; init; }

    /// <summary>The commit pushed.</summary>
    public string? Commit { get; init; }

    /// <summary>The pull or merge request.</summary>
    public string? PullRequest { get; init; }

    /// <summary>The agent's closing summary.</summary>
    public string? Summary { get; init; }

    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Last change.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>One transcript entry; <see cref="Data"/> depends on <see cref="Kind"/> (see docs/sessions.md).</summary>
/// <param name="Seq">Position, from 1.</param>
/// <param name="Kind">task, assistant, tool_result, approval, message, compaction, status or finish.</param>
/// <param name="Data">The entry.</param>
/// <param name="At">When it was stored.</param>
public sealed record SessionEventDto(long Seq, string Kind, JsonElement Data, DateTimeOffset At);

/// <summary>An action waiting for a person, or decided by one.</summary>
public sealed record ApprovalDto(string Id, string SessionId, string CallId, string Action, string Resource, string Summary, IReadOnlyList<string> Policies,
    string State, DateTimeOffset RequestedAt, string? DecidedBy, DateTimeOffset? DecidedAt, string? Comment);

/// <summary>Approve or reject, with an optional comment.</summary>
/// <param name="Comment">Why.</param>
public sealed record DecideApprovalRequest(string? Comment = null);

/// <summary>A message into a running session.</summary>
/// <param name="Text">The text the agent will read before its next step.</param>
public sealed record SessionMessageRequest(string Text);

/// <summary>Stop a session.</summary>
/// <param name="Reason">Why.</param>
public sealed record CancelSessionRequest(string? Reason = null);

/// <summary>The work of a session as a diff against its base commit.</summary>
/// <param name="Diff">Unified diff.</param>
/// <param name="Stat">Summary (files, insertions, deletions).</param>
/// <param name="Truncated">True when the diff was cut at the size limit.</param>
/// <param name="Live">True when read from the running workspace, false when taken when the session finished.</param>
public sealed record SessionDiffDto(string Diff, string? Stat, bool Truncated, bool Live);

/// <summary>JSON metadata for the session API's shapes.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(SessionDto))]
[JsonSerializable(typeof(IReadOnlyList<SessionDto>))]
[JsonSerializable(typeof(SessionEventDto))]
[JsonSerializable(typeof(IReadOnlyList<SessionEventDto>))]
[JsonSerializable(typeof(ApprovalDto))]
[JsonSerializable(typeof(IReadOnlyList<ApprovalDto>))]
[JsonSerializable(typeof(DecideApprovalRequest))]
[JsonSerializable(typeof(SessionMessageRequest))]
[JsonSerializable(typeof(CancelSessionRequest))]
[JsonSerializable(typeof(SessionDiffDto))]
public sealed partial class SessionJsonContext : JsonSerializerContext;
