namespace Warden.Data.Sessions;

/// <summary>The states of an agent session. <see cref="IsFinal"/> tells the ones that never change again.</summary>
public static class SessionStates
{
    /// <summary>Created, waiting for the runner.</summary>
    public const string Queued = "queued";

    /// <summary>The agent loop is working on it.</summary>
    public const string Running = "running";

    /// <summary>Paused until a person approves or rejects an action.</summary>
    public const string Waiting = "waiting";

    /// <summary>Finished: the agent said it was done and its work was published (or there was nothing to publish).</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Ended by an error or a limit; <see cref="AgentSession.StateReason"/> says which.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped by a person.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Every state, for validating filters.</summary>
    public static readonly IReadOnlyList<string> All = [Queued, Running, Waiting, Succeeded, Failed, Cancelled];

    /// <summary>True for a state a session never leaves.</summary>
    public static bool IsFinal(string state) => state is Succeeded or Failed or Cancelled;
}

/// <summary>The kinds of transcript entries.</summary>
public static class SessionEventKinds
{
    /// <summary>The task as the agent received it (system prompt, instructions, tools).</summary>
    public const string Task = "task";

    /// <summary>A model answer: text and/or tool calls, with usage.</summary>
    public const string Assistant = "assistant";

    /// <summary>A tool call's decision and, once run, its result.</summary>
    public const string ToolResult = "tool_result";

    /// <summary>An approval requested or decided.</summary>
    public const string Approval = "approval";

    /// <summary>A message a person sent into the session.</summary>
    public const string Message = "message";

    /// <summary>Older turns replaced by a summary to stay within the model's window.</summary>
    public const string Compaction = "compaction";

    /// <summary>A state change or notice (workspace ready, limit reached, resumed after a restart ...).</summary>
    public const string Status = "status";

    /// <summary>The outcome: commit, branch, pull request.</summary>
    public const string Finish = "finish";
}

/// <summary>Limits that end a session cleanly, with a reason, when reached.</summary>
/// <param name="MaxSteps">Model calls the session may make.</param>
/// <param name="MaxCostMicros">Model spend, in micro-dollars.</param>
/// <param name="MaxWallMs">Wall-clock time from start, in milliseconds.</param>
public sealed record SessionLimitSet(int MaxSteps, long MaxCostMicros, long MaxWallMs)
{
    /// <summary>Defaults for a task that names none.</summary>
    public static readonly SessionLimitSet Default = new(50, 5_000_000, 30 * 60 * 1000);
}

/// <summary>What a task asks for.</summary>
/// <param name="Repo">A repository registered in the org.</param>
/// <param name="BaseRef">The branch to start from; the repository's default branch when null.</param>
/// <param name="Instruction">What the agent should do.</param>
/// <param name="Route">The model route; the org's <c>default</c> route when null.</param>
/// <param name="Pool">The worker pool; <c>default</c> when null.</param>
/// <param name="Limits">Limits; <see cref="SessionLimitSet.Default"/> for what is not given.</param>
/// <param name="ParentId">The session that started this one as a sub-agent.</param>
/// <param name="RetryOf">The session this one retries.</param>
public sealed record SessionSpec(
    string Repo, string? BaseRef, string Instruction, string? Route = null, string? Pool = null, SessionLimitSet? Limits = null,
    string? ParentId = null, string? RetryOf = null);

/// <summary>One agent session.</summary>
public sealed record AgentSession
{
    /// <summary>The id (<c>ses_...</c>), also the branch suffix and the sandbox's name.</summary>
    public required string Id { get; init; }

    /// <summary>The org's id.</summary>
    public required string OrgId { get; init; }

    /// <summary>The org's name.</summary>
    public required string OrgName { get; init; }

    /// <summary>The session that started this one as a sub-agent.</summary>
    public string? ParentId { get; init; }

    /// <summary>The session this one retries.</summary>
    public string? RetryOf { get; init; }

    /// <summary>The requesting user's id.</summary>
    public required string UserId { get; init; }

    /// <summary>The requesting user's name.</summary>
    public required string UserName { get; init; }

    /// <summary>The repository's name.</summary>
    public required string Repo { get; init; }

    /// <summary>The base branch.</summary>
    public required string BaseRef { get; init; }

    /// <summary>The task.</summary>
    public required string Instruction { get; init; }

    /// <summary>The model route.</summary>
    public required string Route { get; init; }

    /// <summary>The worker pool.</summary>
    public required string Pool { get; init; }

    /// <summary>The limits.</summary>
    public required SessionLimitSet Limits { get; init; }

    /// <summary>See <see cref="SessionStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>Why the session is in its state (a limit, an error, who cancelled it, what it waits for).</summary>
    public string? StateReason { get; init; }

    /// <summary>Model calls made.</summary>
    public int Steps { get; init; }

    /// <summary>Model spend so far, in micro-dollars.</summary>
    public long CostMicros { get; init; }

    /// <summary>Input tokens so far.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens so far.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The worker the session runs on.</summary>
    public string? WorkerName { get; init; }

    /// <summary>The session's own virtual key (its id; the secret is never stored in the clear).</summary>
    public string? KeyId { get; init; }

    /// <summary>The commit the workspace started from.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The branch pushed.</summary>
    public string? Branch { get; init; }

    /// <summary>The commit pushed.</summary>
    public string? CommitSha { get; init; }

    /// <summary>The pull or merge request opened.</summary>
    public string? PrUrl { get; init; }

    /// <summary>The agent's closing summary.</summary>
    public string? Summary { get; init; }

    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>First picked up by the runner.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Reached a final state.</summary>
    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>One transcript entry.</summary>
/// <param name="Seq">Its position, from 1.</param>
/// <param name="Kind">See <see cref="SessionEventKinds"/>.</param>
/// <param name="Data">The entry, a JSON object.</param>
/// <param name="At">When it was stored.</param>
public sealed record SessionEvent(long Seq, string Kind, string Data, DateTimeOffset At);

/// <summary>A transcript entry to store (its position and time are given when it is stored).</summary>
/// <param name="Kind">See <see cref="SessionEventKinds"/>.</param>
/// <param name="Data">The entry, a JSON object.</param>
public sealed record SessionEntry(string Kind, string Data);

/// <summary>An action waiting for (or decided by) a person.</summary>
public sealed record SessionApproval
{
    /// <summary>The id (<c>apr_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The tool call it belongs to.</summary>
    public required string CallId { get; init; }

    /// <summary>The policy action (<c>shell.exec</c>, <c>git.push</c> ...).</summary>
    public required string Action { get; init; }

    /// <summary>The resource, as policy saw it.</summary>
    public required string Resource { get; init; }

    /// <summary>What would happen, for the approver (the command, the path, the files pushed).</summary>
    public required string Summary { get; init; }

    /// <summary>The policies that asked for approval.</summary>
    public required IReadOnlyList<string> Policies { get; init; }

    /// <summary><c>pending</c>, <c>approved</c> or <c>rejected</c>.</summary>
    public required string State { get; init; }

    /// <summary>Requested.</summary>
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>Who decided.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>When.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>The approver's comment.</summary>
    public string? Comment { get; init; }
}

/// <summary>A message a person sent into a session.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Text">The text.</param>
/// <param name="SentBy">Who sent it.</param>
/// <param name="SentAt">When.</param>
public sealed record InboxMessage(string Id, string Text, string SentBy, DateTimeOffset SentAt);

/// <summary>Filters for listing sessions.</summary>
/// <param name="State">Only this state.</param>
/// <param name="Repo">Only this repository.</param>
/// <param name="User">Only sessions of this user (name).</param>
/// <param name="ParentId">Only the children of this session.</param>
/// <param name="Limit">At most this many (1-500, default 50).</param>
/// <param name="Before">Only sessions created before this one (paging, newest first).</param>
public sealed record SessionFilter(string? State = null, string? Repo = null, string? User = null, string? ParentId = null, int? Limit = null, string? Before = null);

/// <summary>What the runner changes on a session after a step.</summary>
public sealed record SessionProgress
{
    /// <summary>New state, when it changes.</summary>
    public string? State { get; init; }

    /// <summary>New reason (set together with <see cref="State"/>).</summary>
    public string? StateReason { get; init; }

    /// <summary>Steps to add.</summary>
    public int AddSteps { get; init; }

    /// <summary>Cost to add, in micro-dollars.</summary>
    public long AddCostMicros { get; init; }

    /// <summary>Input tokens to add.</summary>
    public long AddInputTokens { get; init; }

    /// <summary>Output tokens to add.</summary>
    public long AddOutputTokens { get; init; }

    /// <summary>The worker, once assigned.</summary>
    public string? WorkerName { get; init; }

    /// <summary>The session key, once minted.</summary>
    public string? KeyId { get; init; }

    /// <summary>The base commit, once the workspace is ready.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The branch, once pushed.</summary>
    public string? Branch { get; init; }

    /// <summary>The commit, once pushed.</summary>
    public string? CommitSha { get; init; }

    /// <summary>The pull request, once opened.</summary>
    public string? PrUrl { get; init; }

    /// <summary>The closing summary.</summary>
    public string? Summary { get; init; }
}

/// <summary>A session's state and counters as the runner checks them before each step (<see cref="AgentSessionStore.PeekAsync"/>).</summary>
/// <param name="State">The state.</param>
/// <param name="StateReason">Why it is in that state.</param>
/// <param name="Steps">Model calls so far.</param>
/// <param name="CostMicros">Cost so far.</param>
/// <param name="StartedAt">When it started running.</param>
/// <param name="InboxWaiting">True when messages wait to be taken.</param>
public sealed record SessionPulse(string State, string? StateReason, int Steps, long CostMicros, DateTimeOffset? StartedAt, bool InboxWaiting);
