using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Data.Sessions;
using Warden.Policy.Entities;
using Warden.Policy.Values;
using Warden.Protocol;
using Warden.Server.Workers;

namespace Warden.Server.Sessions;

/// <summary>
/// One session's agent loop, from a fresh start or resumed from its transcript: prepare the workspace on a worker,
/// then call the model (through the gateway, with a key minted for this run), authorise every tool call it asks for,
/// wait for a person where policy says so, run the call on the worker, store the result, and go on until the agent
/// finishes or a limit ends the session; finally have the worker commit and push, and open the pull request.
/// Every step is stored before the next one begins, so <see cref="RunAsync"/> can always pick up where the
/// transcript ends: a tool call the transcript asked for but holds no result of is sent again with the same call id,
/// and the worker answers it from its ledger if it already ran.
/// </summary>
internal sealed partial class SessionRun(SessionRunner.Services s, AgentSession session, CancellationToken cancel)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly AgentConversation _conversation = new();
    private readonly List<Pending> _pending = [];
    private readonly Stopwatch _overhead = new();
    private readonly HashSet<string> _approvalsStored = new(StringComparer.Ordinal);
    private long _lastSeq;
    private AgentSession _session = session;
    private SessionPolicy.Principal _person = null!;
    private SessionRepository? _repo;
    private string _key = string.Empty;
    private JsonObject? _finishing;
    private bool _finished;

    private Actor RunnerActor { get; } = Actor.System("agent-runner");

    private bool IsChild => _session.ParentId is not null;

    private string Branch => $"warden/{_session.Id}";

    /// <summary>Runs the session until it ends or <c>cancel</c> fires (shutdown, cancellation, a lost worker).</summary>
    public async Task RunAsync()
    {
        _person = await s.Policy.LoadPrincipalAsync(_session.OrgId, _session.OrgName, _session.UserId, _session.UserName, cancel).ConfigureAwait(false);
        var events = await s.Store.AllEventsAsync(_session.Id, cancel).ConfigureAwait(false);
        var resumed = _session.State != SessionStates.Queued;
        await StatusAsync(resumed ? "Resumed by this server after a restart or a lost lease." : "Started.",
            new SessionProgress { State = _session.State == SessionStates.Waiting ? SessionStates.Waiting : SessionStates.Running }).ConfigureAwait(false);
        if (!resumed)
        {
            await AuditAsync("session.start", new AuditResource("repo", _session.Repo), AuditOutcome.Success, null, new Dictionary<string, string?>
            {
                ["base"] = _session.BaseRef, ["route"] = _session.Route, ["pool"] = _session.Pool, ["parent"] = _session.ParentId,
            }).ConfigureAwait(false);
        }

        _repo = await s.Repositories.ResolveAsync(RunnerActor, _session.OrgName, _session.Repo, cancel).ConfigureAwait(false);
        await MintKeyAsync().ConfigureAwait(false);
        if (!events.Any(e => e.Kind == SessionEventKinds.Task))
        {
            await PrepareAsync().ConfigureAwait(false);
            events = await s.Store.AllEventsAsync(_session.Id, cancel).ConfigureAwait(false);
        }

        Rebuild(events);
        while (!_finished)
        {
            await StepAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the session's worker session and revokes its key (after the session reached a final state).</summary>
    public async Task ReleaseAsync(string reason)
    {
        try
        {
            await s.Workers.EndSessionAsync(_session.Id, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WorkerDispatchException or InvalidOperationException or IOException or System.Net.WebSockets.WebSocketException)
        {
            LogReleaseFailed(s.Logger, _session.Id, e);
        }

        await RevokeKeyAsync(_session.KeyId).ConfigureAwait(false);
    }

    private async Task StepAsync()
    {
        _overhead.Restart();
        // One small read per step: the state (a person may have cancelled on another server), the counters the limits
        // are checked against, and whether messages wait. The rest of the session does not change under the runner.
        var pulse = await s.Store.PeekAsync(_session.Id, cancel).ConfigureAwait(false) ?? throw new SessionEndedException(SessionStates.Failed, "The session was deleted.");
        _session = _session with { State = pulse.State, StateReason = pulse.StateReason, Steps = pulse.Steps, CostMicros = pulse.CostMicros, StartedAt = pulse.StartedAt };
        if (SessionStates.IsFinal(_session.State))
        {
            throw new SessionEndedException(_session.State, _session.StateReason ?? _session.State, alreadyStored: true);
        }

        if (_finishing is not null)
        {
            await FinishAsync(_finishing).ConfigureAwait(false);
            return;
        }

        if (_pending.Count > 0)
        {
            await ToolCallAsync(_pending[0]).ConfigureAwait(false);
            s.Runner.RecordStepOverhead(_overhead.Elapsed, "tool");
            return;
        }

        CheckLimits();
        if (pulse.InboxWaiting && await s.Store.TakeInboxAsync(_session.Id, cancel).ConfigureAwait(false) is { Count: > 0 } inbox)
        {
            await AppendAsync(inbox.Select(m => (SessionEventKinds.Message, new JsonObject { ["text"] = m.Text, ["by"] = m.SentBy })).ToList(), null, null).ConfigureAwait(false);
        }

        if (_conversation.EstimatedTokens > s.Options.ContextWindowTokens * s.Options.CompactAt)
        {
            await CompactAsync().ConfigureAwait(false);
            return;
        }

        var tools = AgentTools.DefinitionsJson(!IsChild && s.Options.MaxSubagents > 0);
        _overhead.Stop();
        AgentModelClient.Turn turn;
        try
        {
            turn = await s.Models.CompleteAsync(_key, _session.Route, _conversation, null, tools, cancel).ConfigureAwait(false);
        }
        catch (AgentModelException e) when (e.BudgetExhausted)
        {
            throw new SessionEndedException(SessionStates.Failed, $"Cost limit reached: the session's budget of {Usd(_session.Limits.MaxCostMicros)} is spent.");
        }
        catch (AgentModelException e)
        {
            throw new SessionEndedException(SessionStates.Failed, e.Message);
        }

        _overhead.Start();
        var data = new JsonObject
        {
            ["message"] = turn.Message,
            ["finishReason"] = turn.FinishReason,
            ["inputTokens"] = turn.InputTokens,
            ["outputTokens"] = turn.OutputTokens,
            ["costMicros"] = turn.CostMicros,
            ["gatewayCall"] = turn.CallId,
            ["model"] = turn.Model,
        };

        // The tool calls the model asks for are decided now, and the decisions stored with the turn: their audit
        // events commit in the same transaction as the turn's transcript entry (one durable write for the step), so a
        // call is never run without its authorisation on the record, and a resumed run acts on the stored decision
        // instead of deciding again. A call that waits for a person is recorded when the person decides.
        var calls = ReadCalls(turn.Message, _lastSeq + 1, null);
        var audit = new List<AuditEventDraft>();
        if (calls.Count > 0)
        {
            var described = new JsonArray();
            foreach (var call in calls)
            {
                var entry = new JsonObject { ["id"] = call.ToolCallId, ["callId"] = call.WorkerCallId };
                if (ParseArguments(call.Arguments) is { } args && Questions(call, args) is { } questions)
                {
                    var decided = await DecideAsync(questions).ConfigureAwait(false);
                    entry["decision"] = decided.ToJson();
                    if (DecisionDraft(call, questions[decided.Question], decided.Verdict) is { } draft)
                    {
                        audit.Add(draft);
                    }
                }

                described.Add(entry);
            }

            data["calls"] = described;
        }

        var entries = new List<(string, JsonObject)> { (SessionEventKinds.Assistant, data) };
        var progress = new SessionProgress
        {
            AddSteps = 1, AddCostMicros = turn.CostMicros, AddInputTokens = turn.InputTokens, AddOutputTokens = turn.OutputTokens,
        };
        if (calls.Count == 0)
        {
            // An answer without tool calls is the agent's last word: the turn and the start of finishing are one write.
            var summary = Text(turn.Message["content"]) ?? "The agent ended without a summary.";
            entries.Add((SessionEventKinds.Status, FinishingData(summary, null)));
            progress = progress with { Summary = Cap(summary, 16_000) };
        }

        await AppendAsync(entries, progress, audit).ConfigureAwait(false);
        _overhead.Stop();
        s.Runner.RecordStepOverhead(_overhead.Elapsed, "model");
    }

    private void CheckLimits()
    {
        if (_session.Steps >= _session.Limits.MaxSteps)
        {
            throw new SessionEndedException(SessionStates.Failed, $"Step limit reached: {_session.Limits.MaxSteps} model calls.");
        }

        if (_session.CostMicros >= _session.Limits.MaxCostMicros)
        {
            throw new SessionEndedException(SessionStates.Failed, $"Cost limit reached: {Usd(_session.CostMicros)} of {Usd(_session.Limits.MaxCostMicros)}.");
        }

        if (_session.StartedAt is { } started && s.Time.GetUtcNow() - started >= TimeSpan.FromMilliseconds(_session.Limits.MaxWallMs))
        {
            throw new SessionEndedException(SessionStates.Failed, $"Time limit reached: {TimeSpan.FromMilliseconds(_session.Limits.MaxWallMs).TotalMinutes:0.#} minutes.");
        }
    }

    // ---- Preparation ----

    private async Task PrepareAsync()
    {
        if (_session.WorkerName is not null)
        {
            // A preparation that a restart interrupted: start it over on a fresh worker session.
            await s.Workers.EndSessionAsync(_session.Id, "preparation restarted", cancel).ConfigureAwait(false);
        }

        var credential = await s.Repositories.CredentialAsync(_session.OrgId, _session.Repo, TimeSpan.FromMilliseconds(_session.Limits.MaxWallMs) + TimeSpan.FromMinutes(15), cancel).ConfigureAwait(false);
        WorkerLease? lease = null;
        var told = false;
        while (lease is null)
        {
            try
            {
                lease = await s.Workers.AssignAsync(_session.OrgId, _session.Pool, new Dictionary<string, string>(), _session.Id,
                    new WorkspaceRequest(_repo!.CloneUrl, _session.BaseRef, credential, new SessionLimits
                    {
                        WallClockSeconds = (int)Math.Min(int.MaxValue, _session.Limits.MaxWallMs / 1000 + 60),
                    }), cancel).ConfigureAwait(false);
            }
            catch (WorkerDispatchException e) when (e.Error == WorkerDispatchError.NoWorkerAvailable)
            {
                // Every worker of the pool is busy or away: wait for one (the wall-clock limit still applies).
                if (!told)
                {
                    told = true;
                    await StatusAsync($"Waiting for a free worker: {e.Message}", null).ConfigureAwait(false);
                }

                await Task.Delay(s.Options.WorkerRetryInterval, cancel).ConfigureAwait(false);
            }
            catch (WorkerDispatchException e)
            {
                throw new SessionEndedException(SessionStates.Failed, $"No workspace: {e.Message}");
            }
        }

        await StatusAsync($"Workspace ready on worker {lease.WorkerName} at {Short(lease.Commit)} ({lease.PrepareMs} ms{(lease.FromMirror ? ", from the mirror cache" : string.Empty)}).",
            new SessionProgress { WorkerName = lease.WorkerName, BaseCommit = lease.Commit }).ConfigureAwait(false);

        var instructions = new StringBuilder();
        var found = new JsonArray();
        foreach (var file in s.Options.InstructionFiles)
        {
            var result = await s.Workers.ExecuteToolAsync(_session.Id, new ToolCall($"ctx-{found.Count}-{file.Replace('/', '_').Replace('.', '_')}", "read_file",
                JsonSerializer.SerializeToElement(new { path = file })), _ => ValueTask.CompletedTask, cancel).ConfigureAwait(false);
            if (result.Status == ToolStatus.Ok && result.Result is { } r && r.ValueKind == JsonValueKind.Object && r.TryGetProperty("content", out var content) &&
                content.GetString() is { Length: > 0 } text)
            {
                found.Add(file);
                instructions.Append(CultureInfo.InvariantCulture, $"\n\n## {file}\n\n{Cap(text, 16_000)}");
            }
        }

        var system = SystemPrompt() + (instructions.Length > 0 ? "\n\n# The repository's instructions for agents" + instructions : string.Empty);
        await s.Store.AppendAsync(_session.Id, SessionEventKinds.Task, Serialize(new JsonObject
        {
            ["system"] = system,
            ["instruction"] = _session.Instruction,
            ["instructionFiles"] = found,
            ["tools"] = new JsonArray(AgentTools.Definitions(!IsChild && s.Options.MaxSubagents > 0).Select(t => (JsonNode?)JsonValue.Create(t!["function"]!["name"]!.GetValue<string>())).ToArray()),
        }), null, cancel).ConfigureAwait(false);
    }

    private string SystemPrompt() =>
        $"""
        You are Warden's coding agent. You work in a fresh clone of the repository {_session.Repo} (base branch {_session.BaseRef}) inside a sandbox on a worker machine.
        Use the tools to read the code, change it and run the tests. The sandbox has no network except package mirrors that policy allows; credentials are not available to you.
        Every tool call is checked against the organisation's policies: a denied call tells you why — find another way or explain it in your summary. Some calls wait for a person's approval.
        Do not commit or push: when the task is done (or cannot be done), call `finish` with a summary of what you changed and why. Warden then commits your changes, pushes the branch {Branch} and opens a pull request for review.
        {(IsChild ? "You are a helper agent working on a sub-task; your summary and diff go back to the agent that started you." : string.Empty)}
        """;

    // ---- Transcript → conversation ----

    private void Rebuild(IReadOnlyList<SessionEvent> events)
    {
        _conversation.Clear();
        _pending.Clear();
        foreach (var e in events)
        {
            Apply(e.Kind, e.Seq, JsonNode.Parse(e.Data) as JsonObject ?? []);
        }
    }

    private void Apply(string kind, long seq, JsonObject data)
    {
        _lastSeq = Math.Max(_lastSeq, seq);
        switch (kind)
        {
            case SessionEventKinds.Task:
                _conversation.Clear();
                _conversation.Add(new JsonObject { ["role"] = "system", ["content"] = data["system"]?.GetValue<string>() });
                _conversation.Add(new JsonObject { ["role"] = "user", ["content"] = data["instruction"]?.GetValue<string>() });
                break;
            case SessionEventKinds.Assistant when data["message"] is JsonObject message:
                _conversation.Add(message);
                _pending.Clear();
                _pending.AddRange(ReadCalls(message, seq, data["calls"] as JsonArray));
                break;
            case SessionEventKinds.ToolResult:
                var id = data["toolCallId"]?.GetValue<string>();
                _conversation.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = data["forModel"]?.GetValue<string>() ?? string.Empty });
                _pending.RemoveAll(p => p.ToolCallId == id);
                break;
            case SessionEventKinds.Message:
                _conversation.Add(new JsonObject { ["role"] = "user", ["content"] = $"Message from {data["by"]?.GetValue<string>()}: {data["text"]?.GetValue<string>()}" });
                break;
            case SessionEventKinds.Compaction:
                var system = _conversation.First ?? JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["role"] = "system", ["content"] = SystemPrompt() });
                _conversation.Clear();
                _conversation.Add(system);
                _conversation.Add(new JsonObject { ["role"] = "user", ["content"] = _session.Instruction });
                _conversation.Add(new JsonObject { ["role"] = "user", ["content"] = "Summary of your work so far (older turns were compacted to stay within the model's window):\n\n" + data["summary"]?.GetValue<string>() });
                break;
            case SessionEventKinds.Status when data["phase"]?.GetValue<string>() == "finishing":
                _finishing = data;
                break;
            case SessionEventKinds.Approval when data["state"]?.GetValue<string>() is { } state && state != "pending" && data["callId"]?.GetValue<string>() is { } decidedCall:
                _approvalsStored.Add(decidedCall);
                break;
        }
    }

    /// <summary>
    /// The tool calls of an assistant message. Their worker call ids (unique in the session) come from
    /// <paramref name="described"/>, the turn's stored <c>calls</c>, with the decisions made when the turn was stored;
    /// a turn stored without them (by an older server) gets ids from its position and no decisions.
    /// </summary>
    private static List<Pending> ReadCalls(JsonObject message, long seq, JsonArray? described)
    {
        var pending = new List<Pending>();
        if (message["tool_calls"] is not JsonArray calls)
        {
            return pending;
        }

        for (var i = 0; i < calls.Count; i++)
        {
            if (calls[i] is JsonObject call && call["function"] is JsonObject fn)
            {
                var stored = described is not null && i < described.Count ? described[i] as JsonObject : null;
                pending.Add(new Pending(
                    call["id"]?.GetValue<string>() ?? $"call_{seq}_{i}",
                    stored?["callId"]?.GetValue<string>() ?? $"c{seq.ToString(CultureInfo.InvariantCulture)}-{i.ToString(CultureInfo.InvariantCulture)}",
                    fn["name"]?.GetValue<string>() ?? string.Empty,
                    fn["arguments"]?.GetValue<string>() ?? "{}",
                    stored?["decision"] is JsonObject decision ? Decided.FromJson(decision) : null));
            }
        }

        return pending;
    }

    private sealed record Pending(string ToolCallId, string WorkerCallId, string Tool, string Arguments, Decided? Decision);

    /// <summary>A tool call's decision: the question that decided it (its index) and the verdict.</summary>
    private sealed record Decided(int Question, SessionPolicy.Verdict Verdict)
    {
        public JsonObject ToJson() => new()
        {
            ["question"] = Question,
            ["allowed"] = Verdict.Allowed,
            ["approval"] = Verdict.ApprovalRequired,
            ["policies"] = new JsonArray(Verdict.Policies.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["erroring"] = new JsonArray(Verdict.Erroring.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["version"] = Verdict.Version,
        };

        public static Decided FromJson(JsonObject o) => new(
            o["question"]?.GetValue<int>() ?? 0,
            new SessionPolicy.Verdict(
                o["allowed"]?.GetValue<bool>() ?? false,
                o["approval"]?.GetValue<bool>() ?? false,
                Strings(o["policies"]),
                Strings(o["erroring"]),
                o["version"]?.GetValue<string>() ?? string.Empty));

        private static List<string> Strings(JsonNode? node) =>
            node is JsonArray a ? a.Select(n => n?.GetValue<string>()).OfType<string>().ToList() : [];
    }

    // ---- Tool calls ----

    private async Task ToolCallAsync(Pending call)
    {
        JsonElement args;
        try
        {
            args = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments).RootElement.Clone();
        }
        catch (JsonException e)
        {
            await ToolResultAsync(call, "error", $"The arguments are not valid JSON: {e.Message}", null).ConfigureAwait(false);
            return;
        }

        if (call.Tool == AgentTools.Finish)
        {
            await ToolResultAsync(call, "ok", "Finishing: Warden commits and publishes your changes now.", null,
                finishing: FinishingData(Arg(args, "summary") ?? "(no summary)", Arg(args, "title"))).ConfigureAwait(false);
            return;
        }

        if (Questions(call, args) is not { } questions)
        {
            await ToolResultAsync(call, "error", $"There is no tool '{call.Tool}'.", null).ConfigureAwait(false);
            return;
        }

        var decided = call.Decision;
        if (decided is null)
        {
            // A turn stored by an older server, without its decisions: decide now, and record the decision before anything runs.
            decided = await DecideAsync(questions).ConfigureAwait(false);
            if (DecisionDraft(call, questions[decided.Question], decided.Verdict) is { } draft)
            {
                await s.Audit.RecordAsync(draft, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var q = questions[decided.Question];
        var v = decided.Verdict;
        if (!v.Allowed)
        {
            // The denial went on the record with the turn that asked for the call.
            var why = v.Explain(q.Summary);
            await ToolResultAsync(call, "denied", $"Denied by policy. {why}", new JsonObject { ["policy"] = why, ["action"] = q.Action }).ConfigureAwait(false);
            return;
        }

        if (v.ApprovalRequired)
        {
            var approval = await AwaitApprovalAsync(call.WorkerCallId, q.Action, $"{q.Resource.Type}::\"{q.Resource.Id}\"", q.Summary, v).ConfigureAwait(false);
            var stored = _approvalsStored.Contains(call.WorkerCallId);
            if (approval.State != "approved")
            {
                // The person's refusal, the call's denial and its result are one write.
                var why = $"Rejected by {approval.DecidedBy}{(string.IsNullOrWhiteSpace(approval.Comment) ? string.Empty : ": " + approval.Comment)}.";
                await ToolResultAsync(call, "rejected", $"A person rejected this call. {why}", new JsonObject { ["approval"] = approval.Id },
                    audit: [ToolDraft(call, q, v, AuditOutcome.Denied, why, approval.Id)], approval: stored ? null : approval).ConfigureAwait(false);
                return;
            }

            if (!stored)
            {
                // The approval and the call's authorisation are one write, durable before the call runs.
                await AppendAsync([ApprovalEntry(approval)], new SessionProgress { State = SessionStates.Running, StateReason = null },
                    [ToolDraft(call, q, v, AuditOutcome.Success, null, approval.Id)]).ConfigureAwait(false);
            }
        }

        if (call.Tool == AgentTools.SpawnSubagent)
        {
            await SubagentAsync(call, args, q).ConfigureAwait(false);
            return;
        }

        ToolResult result;
        _overhead.Stop();
        try
        {
            result = await s.Workers.ExecuteToolAsync(_session.Id, new ToolCall(call.WorkerCallId, call.Tool, args),
                chunk =>
                {
                    s.Live.Output(_session.Id, call.WorkerCallId, chunk.Stream, chunk.Text);
                    return ValueTask.CompletedTask;
                }, cancel).ConfigureAwait(false);
        }
        catch (WorkerDispatchException e)
        {
            throw new SessionEndedException(SessionStates.Failed, $"The worker failed: {e.Message}");
        }

        _overhead.Start();
        var status = result.Status switch
        {
            ToolStatus.Ok => "ok",
            ToolStatus.Failed => "failed",
            ToolStatus.TimedOut => "timed_out",
            ToolStatus.Cancelled => "cancelled",
            _ => "error",
        };
        var forModel = Render(result, s.Options.ModelOutputChars);
        await ToolResultAsync(call, status, forModel, new JsonObject
        {
            ["exitCode"] = result.ExitCode,
            ["durationMs"] = result.DurationMs,
            ["output"] = result.Output is null ? null : Cap(result.Output, s.Options.StoredOutputChars),
            ["result"] = result.Result is { } r ? JsonNode.Parse(Cap(r.GetRawText(), s.Options.StoredOutputChars, json: true)) : null,
            ["error"] = result.Error,
            ["truncated"] = result.Truncated,
            ["policy"] = v.Explain(q.Summary),
        }, audit: [ResultDraft(call, q, result.Status is ToolStatus.Ok or ToolStatus.Failed ? AuditOutcome.Success : AuditOutcome.Failure, status, result)]).ConfigureAwait(false);
    }

    /// <summary>The call's policy questions; null for a tool that does not exist (or may not be offered to this session).</summary>
    private IReadOnlyList<AgentTools.PolicyQuestion>? Questions(Pending call, JsonElement args) =>
        call.Tool.StartsWith("warden.", StringComparison.Ordinal) || call.Tool == AgentTools.Finish ||
        (call.Tool == AgentTools.SpawnSubagent && (IsChild || s.Options.MaxSubagents == 0))
            ? null
            : AgentTools.Questions(call.Tool, args);

    private static JsonElement? ParseArguments(string arguments)
    {
        try
        {
            return JsonDocument.Parse(string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Every question must be allowed; one that needs approval makes the whole call wait for a person.</summary>
    private async Task<Decided> DecideAsync(IReadOnlyList<AgentTools.PolicyQuestion> questions)
    {
        var verdicts = new SessionPolicy.Verdict[questions.Count];
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            verdicts[i] = await s.Policy.CanAgentAsync(_person, _session.Id, _session.Repo, q.Action, q.Resource, q.Entities, q.Context, cancel).ConfigureAwait(false);
        }

        var denied = Array.FindIndex(verdicts, v => !v.Allowed);
        var gated = Array.FindIndex(verdicts, v => v.ApprovalRequired);
        var decisive = denied >= 0 ? denied : gated >= 0 ? gated : 0;
        return new Decided(decisive, verdicts[decisive]);
    }

    /// <summary>
    /// The audit event of a call's decision, to be durable before the call runs: allowed, or denied with the reason.
    /// None yet for a call that waits for a person (it is recorded with the person's decision).
    /// </summary>
    private AuditEventDraft? DecisionDraft(Pending call, AgentTools.PolicyQuestion q, SessionPolicy.Verdict v) =>
        !v.Allowed ? ToolDraft(call, q, v, AuditOutcome.Denied, v.Explain(q.Summary), null)
        : v.ApprovalRequired ? null
        : ToolDraft(call, q, v, AuditOutcome.Success, null, null);

    private async Task ToolResultAsync(Pending call, string status, string forModel, JsonObject? extra, IReadOnlyList<AuditEventDraft>? audit = null,
        SessionApproval? approval = null, JsonObject? finishing = null)
    {
        var data = new JsonObject
        {
            ["toolCallId"] = call.ToolCallId,
            ["callId"] = call.WorkerCallId,
            ["tool"] = call.Tool,
            ["arguments"] = Cap(call.Arguments, 8_000),
            ["status"] = status,
            ["forModel"] = forModel,
        };
        foreach (var (k, v) in extra ?? [])
        {
            data[k] = v?.DeepClone();
        }

        // One write for the step: the person's decision (if one was awaited), the result, the start of finishing (after
        // the finish tool) and the result's audit event.
        var entries = new List<(string, JsonObject)>(3);
        SessionProgress? progress = null;
        if (approval is not null)
        {
            entries.Add(ApprovalEntry(approval));
            progress = new SessionProgress { State = SessionStates.Running, StateReason = null };
        }

        entries.Add((SessionEventKinds.ToolResult, data));
        if (finishing is not null)
        {
            entries.Add((SessionEventKinds.Status, finishing));
            progress = (progress ?? new SessionProgress()) with { Summary = Cap(finishing["summary"]?.GetValue<string>() ?? string.Empty, 16_000) };
        }

        await AppendAsync(entries, progress, audit).ConfigureAwait(false);
    }

    /// <summary>Stores <paramref name="entries"/> (with <paramref name="audit"/> in the same commit) and applies them to the conversation.</summary>
    private async Task AppendAsync(IReadOnlyList<(string Kind, JsonObject Data)> entries, SessionProgress? progress, IReadOnlyList<AuditEventDraft>? audit)
    {
        var seqs = await s.Store.AppendAsync(_session.Id, entries.Select(e => new SessionEntry(e.Kind, Serialize(e.Data))).ToList(), progress, audit, cancel).ConfigureAwait(false);
        for (var i = 0; i < entries.Count; i++)
        {
            Apply(entries[i].Kind, seqs[i], entries[i].Data);
        }
    }

    private static (string, JsonObject) ApprovalEntry(SessionApproval approval) => (SessionEventKinds.Approval, new JsonObject
    {
        ["approval"] = approval.Id, ["callId"] = approval.CallId, ["action"] = approval.Action, ["state"] = approval.State, ["by"] = approval.DecidedBy, ["comment"] = approval.Comment,
    });

    private async Task<SessionApproval> AwaitApprovalAsync(string callId, string action, string resource, string summary, SessionPolicy.Verdict verdict)
    {
        var approval = await s.Store.ApprovalForCallAsync(_session.Id, callId, cancel).ConfigureAwait(false);
        if (approval is null)
        {
            approval = await s.Store.RequestApprovalAsync(_session, callId, action, resource, summary, verdict.Policies, cancel).ConfigureAwait(false);
            // The waiting entry and the request's audit event are one write.
            await AppendAsync([(SessionEventKinds.Approval, new JsonObject
            {
                ["approval"] = approval.Id, ["callId"] = callId, ["action"] = action, ["resource"] = resource, ["summary"] = summary, ["state"] = "pending",
                ["policies"] = new JsonArray(verdict.Policies.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            })], new SessionProgress { State = SessionStates.Waiting, StateReason = $"waiting for approval of {summary}" },
            [Draft("approval.request", new AuditResource("session", _session.Id), AuditOutcome.Success, Decision(verdict), new Dictionary<string, string?>
            {
                ["approval"] = approval.Id, ["callId"] = callId, ["action"] = action, ["resource"] = resource, ["summary"] = summary,
            })]).ConfigureAwait(false);
        }

        // Time spent waiting for a person is not orchestration overhead.
        var timing = _overhead.IsRunning;
        _overhead.Stop();
        while (approval.State == "pending")
        {
            var next = s.Live.NextChangeAsync(_session.Id);
            approval = await s.Store.ApprovalForCallAsync(_session.Id, callId, cancel).ConfigureAwait(false) ?? approval;
            if (approval.State != "pending")
            {
                break;
            }

            await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(2), cancel)).ConfigureAwait(false);
            cancel.ThrowIfCancellationRequested();
            var current = await s.Store.LoadAsync(_session.Id, cancel).ConfigureAwait(false);
            if (current is null || SessionStates.IsFinal(current.State))
            {
                throw new SessionEndedException(current?.State ?? SessionStates.Cancelled, current?.StateReason ?? "ended", alreadyStored: true);
            }
        }

        if (timing)
        {
            _overhead.Start();
        }

        // The caller stores the decision (ApprovalEntry), in one write with what follows from it.
        return approval;
    }

    private async Task SubagentAsync(Pending call, JsonElement args, AgentTools.PolicyQuestion question)
    {
        var instruction = Arg(args, "instruction");
        if (string.IsNullOrWhiteSpace(instruction))
        {
            await ToolResultAsync(call, "error", "spawn_subagent needs an instruction.", null).ConfigureAwait(false);
            return;
        }

        // The child is named in the transcript before it runs, so a resumed parent waits for the same child.
        var children = await s.Store.ListAsync(RunnerActor, _session.OrgName, new SessionFilter(ParentId: _session.Id, Limit: 500), cancel).ConfigureAwait(false);
        var marker = $"[{call.WorkerCallId}] ";
        var child = children.FirstOrDefault(c => c.Instruction.StartsWith(marker, StringComparison.Ordinal));
        if (child is null)
        {
            if (children.Count >= s.Options.MaxSubagents)
            {
                await ToolResultAsync(call, "denied", $"This session already started {children.Count} sub-agents, the most allowed.", null).ConfigureAwait(false);
                return;
            }

            var remaining = _session.Limits with
            {
                MaxSteps = Math.Max(1, _session.Limits.MaxSteps - _session.Steps),
                MaxCostMicros = Math.Max(1, _session.Limits.MaxCostMicros - _session.CostMicros),
            };
            var owner = new Actor(Warden.Data.Identity.ActorKind.User, _session.UserId, _session.UserName, IsSiteAdmin: false);
            child = await s.Store.CreateAsync(owner, _session.OrgName, new SessionSpec(_session.Repo, _session.BaseRef, marker + instruction, _session.Route, _session.Pool,
                remaining, ParentId: _session.Id), cancel).ConfigureAwait(false);
            s.Runner.Wake();
        }

        await StatusAsync($"Sub-agent {child.Id} started: {Cap(instruction, 200)}", null).ConfigureAwait(false);
        _overhead.Stop();
        while (!SessionStates.IsFinal(child.State))
        {
            var next = s.Live.NextChangeAsync(child.Id);
            child = await s.Store.LoadAsync(child.Id, cancel).ConfigureAwait(false) ?? throw new SessionEndedException(SessionStates.Failed, "The sub-agent's session disappeared.");
            if (!SessionStates.IsFinal(child.State))
            {
                await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(2), cancel)).ConfigureAwait(false);
                cancel.ThrowIfCancellationRequested();
            }
        }

        _overhead.Start();
        var finish = (await s.Store.AllEventsAsync(child.Id, cancel).ConfigureAwait(false)).LastOrDefault(e => e.Kind == SessionEventKinds.Finish);
        var diff = finish is null ? null : (JsonNode.Parse(finish.Data) as JsonObject)?["diff"]?.GetValue<string>();
        var text = $"Sub-agent {child.Id} {child.State}{(child.StateReason is null ? string.Empty : $" ({child.StateReason})")}.\n\nSummary:\n{child.Summary ?? "(none)"}\n\nDiff:\n{(string.IsNullOrEmpty(diff) ? "(no changes)" : Cap(diff, s.Options.ModelOutputChars))}";
        var status = child.State == SessionStates.Succeeded ? "ok" : "failed";
        await ToolResultAsync(call, status, text, new JsonObject { ["child"] = child.Id, ["childState"] = child.State },
            audit: [ResultDraft(call, question, child.State == SessionStates.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure, status, null, child.Id)]).ConfigureAwait(false);
    }

    // ---- Compaction ----

    private async Task CompactAsync()
    {
        var request = new JsonObject
        {
            ["role"] = "user",
            ["content"] = "The conversation is about to exceed the model's window. Write a concise summary of the work so far: what you found, what you changed (files), what you tried that failed, test results, and what remains. It replaces the older turns.",
        };
        _overhead.Stop();
        AgentModelClient.Turn turn;
        try
        {
            turn = await s.Models.CompleteAsync(_key, _session.Route, _conversation, request, ReadOnlyMemory<byte>.Empty, cancel).ConfigureAwait(false);
        }
        catch (AgentModelException e)
        {
            throw new SessionEndedException(SessionStates.Failed, e.BudgetExhausted ? "Cost limit reached while compacting the conversation." : e.Message);
        }

        _overhead.Start();
        var summary = Text(turn.Message["content"]) ?? "(no summary)";
        var before = _conversation.EstimatedTokens;
        var data = new JsonObject { ["summary"] = summary, ["tokensBefore"] = before, ["messagesBefore"] = _conversation.Count, ["gatewayCall"] = turn.CallId };
        await AppendAsync([(SessionEventKinds.Compaction, data)], new SessionProgress
        {
            AddSteps = 1, AddCostMicros = turn.CostMicros, AddInputTokens = turn.InputTokens, AddOutputTokens = turn.OutputTokens,
        }, null).ConfigureAwait(false);
    }

    // ---- Finish: commit, push, pull request ----

    /// <summary>The status entry that starts finishing (stored in one write with the step that ended the agent's work).</summary>
    private static JsonObject FinishingData(string summary, string? title) =>
        new() { ["phase"] = "finishing", ["summary"] = summary, ["title"] = title, ["text"] = "The agent finished; publishing its work." };

    private async Task FinishAsync(JsonObject finishing)
    {
        var summary = finishing["summary"]?.GetValue<string>() ?? string.Empty;
        var title = finishing["title"]?.GetValue<string>() is { Length: > 0 } t ? t : FirstLine(summary);
        var diff = await DiffAsync("finish-diff").ConfigureAwait(false);
        var files = ChangedFiles(diff.Diff);
        if (IsChild || files.Count == 0)
        {
            await EndAsync(SessionStates.Succeeded, files.Count == 0 ? "Finished without changes." : "Finished; the diff went back to the parent session.",
                new JsonObject { ["diff"] = diff.Diff, ["stat"] = diff.Stat, ["truncated"] = diff.Truncated, ["files"] = Names(files) }, new SessionProgress()).ConfigureAwait(false);
            return;
        }

        // git.push of warden/<session>: policy may forbid it or ask a person first (e.g. for workflow changes).
        var touchesWorkflows = files.Any(AgentTools.IsWorkflowFile);
        var branchUid = new EntityUid("Warden::Branch", $"{_session.Repo}#{Branch}");
        var branchEntity = new Entity(branchUid, new Dictionary<string, Value>(StringComparer.Ordinal) { ["protected"] = BoolValue.False }, [SessionPolicy.RepoUid(_session.Repo)]);
        var repoEntity = SessionPolicy.RepoEntity(_person, _session.Repo, _repo!.DefaultBranch);
        var push = await s.Policy.CanAgentAsync(_person, _session.Id, _session.Repo, "git.push", branchUid, [branchEntity, repoEntity],
            new Dictionary<string, Value>(StringComparer.Ordinal) { ["touchesWorkflows"] = BoolValue.Of(touchesWorkflows) }, cancel).ConfigureAwait(false);
        var pushSummary = $"push {Branch} ({files.Count} file{(files.Count == 1 ? string.Empty : "s")}{(touchesWorkflows ? ", including CI/workflow files" : string.Empty)})";
        if (!push.Allowed)
        {
            await AuditAsync("git.push", new AuditResource("branch", branchUid.Id), AuditOutcome.Denied, Decision(push), new Dictionary<string, string?> { ["files"] = string.Join(",", files) }).ConfigureAwait(false);
            throw new SessionEndedException(SessionStates.Failed, "Push refused: " + push.Explain(pushSummary));
        }

        if (push.ApprovalRequired)
        {
            var approval = await AwaitApprovalAsync("publish", "git.push", $"Warden::Branch::\"{branchUid.Id}\"", pushSummary + ": " + string.Join(", ", files.Take(20)), push).ConfigureAwait(false);
            if (!_approvalsStored.Contains("publish"))
            {
                await AppendAsync([ApprovalEntry(approval)], new SessionProgress { State = SessionStates.Running, StateReason = null }, null).ConfigureAwait(false);
            }

            if (approval.State != "approved")
            {
                await AuditAsync("git.push", new AuditResource("branch", branchUid.Id), AuditOutcome.Denied, Decision(push), new Dictionary<string, string?> { ["approval"] = approval.Id }).ConfigureAwait(false);
                throw new SessionEndedException(SessionStates.Failed, $"Push rejected by {approval.DecidedBy}{(approval.Comment is null ? string.Empty : ": " + approval.Comment)}.");
            }
        }

        var request = new PublishRequest
        {
            Branch = Branch,
            Message = $"{title}\n\n{Cap(summary, 8_000)}",
            AuthorName = $"Warden agent for {_session.UserName}",
            AuthorEmail = $"agent+{_session.Id}@{s.Options.AuthorDomain}",
            Trailers = new Dictionary<string, string> { ["Warden-Session"] = _session.Id, ["Requested-by"] = _session.UserName },
            RemoteBase = _session.BaseRef,
        };
        _overhead.Stop();
        ToolResult published;
        try
        {
            published = await s.Workers.ExecuteToolAsync(_session.Id, WorkerOperations.PublishCall("publish", request), _ => ValueTask.CompletedTask, cancel).ConfigureAwait(false);
        }
        catch (WorkerDispatchException e)
        {
            throw new SessionEndedException(SessionStates.Failed, $"The worker failed while publishing: {e.Message}");
        }

        _overhead.Start();
        if (WorkerOperations.ReadPublishResult(published) is not { } outcome)
        {
            await AuditAsync("git.push", new AuditResource("branch", branchUid.Id), AuditOutcome.Failure, Decision(push), new Dictionary<string, string?> { ["error"] = published.Error ?? published.Output }).ConfigureAwait(false);
            throw new SessionEndedException(SessionStates.Failed, $"Publishing failed: {published.Error ?? Cap(published.Output ?? "no detail", 500)}");
        }

        var commit = outcome.Commit;
        if (!outcome.Pushed)
        {
            await EndAsync(SessionStates.Succeeded, "Finished without changes to commit.", new JsonObject { ["diff"] = diff.Diff, ["stat"] = diff.Stat }, new SessionProgress()).ConfigureAwait(false);
            return;
        }

        await AuditAsync("git.push", new AuditResource("branch", branchUid.Id), AuditOutcome.Success, Decision(push), new Dictionary<string, string?>
        {
            ["commit"] = commit, ["files"] = string.Join(",", files.Take(50)), ["touchesWorkflows"] = touchesWorkflows ? "true" : "false",
        }).ConfigureAwait(false);
        await StatusAsync($"Pushed {Branch} at {Short(commit)}.", new SessionProgress { Branch = Branch, CommitSha = commit }).ConfigureAwait(false);

        string? prUrl = null;
        var open = await s.Policy.CanAgentAsync(_person, _session.Id, _session.Repo, "pr.open", SessionPolicy.RepoUid(_session.Repo), [repoEntity],
            new Dictionary<string, Value>(StringComparer.Ordinal), cancel).ConfigureAwait(false);
        var note = "Pushed; no pull request for plain Git repositories.";
        if (!open.Allowed)
        {
            note = "Pushed; opening a pull request was refused: " + open.Explain("open a pull request");
            await AuditAsync("pr.open", new AuditResource("repo", _session.Repo), AuditOutcome.Denied, Decision(open), null).ConfigureAwait(false);
        }
        else
        {
            var body = $"{summary}\n\n---\nOpened by Warden for {_session.UserName}. Session: {_session.Id}. Task: {Cap(_session.Instruction, 2_000)}";
            try
            {
                prUrl = await s.Repositories.OpenPullRequestAsync(_session.OrgId, _session.Repo, Branch, _session.BaseRef, title, body, cancel).ConfigureAwait(false);
                if (prUrl is not null)
                {
                    note = $"Pull request: {prUrl}";
                    await AuditAsync("pr.open", new AuditResource("repo", _session.Repo), AuditOutcome.Success, Decision(open), new Dictionary<string, string?> { ["url"] = prUrl, ["branch"] = Branch }).ConfigureAwait(false);
                }
            }
            catch (WardenException e)
            {
                note = "Pushed; the pull request could not be opened: " + e.Message;
                await AuditAsync("pr.open", new AuditResource("repo", _session.Repo), AuditOutcome.Failure, Decision(open), new Dictionary<string, string?> { ["error"] = e.Message }).ConfigureAwait(false);
            }
        }

        await EndAsync(SessionStates.Succeeded, note, new JsonObject
        {
            ["branch"] = Branch, ["commit"] = commit, ["pullRequest"] = prUrl, ["diff"] = diff.Diff, ["stat"] = diff.Stat, ["truncated"] = diff.Truncated, ["files"] = Names(files),
        }, new SessionProgress { Branch = Branch, CommitSha = commit, PrUrl = prUrl }).ConfigureAwait(false);
    }

    /// <summary>The workspace's diff against its base, read by the worker outside the sandbox.</summary>
    internal async Task<(string Diff, string? Stat, bool Truncated)> DiffAsync(string callId)
    {
        ToolResult result;
        try
        {
            result = await s.Workers.ExecuteToolAsync(_session.Id, WorkerOperations.DiffCall(callId), _ => ValueTask.CompletedTask, cancel).ConfigureAwait(false);
        }
        catch (WorkerDispatchException e)
        {
            throw new SessionEndedException(SessionStates.Failed, $"The worker failed while reading the diff: {e.Message}");
        }

        return SessionDiffs.Read(result);
    }

    private async Task EndAsync(string state, string reason, JsonObject data, SessionProgress progress)
    {
        data["state"] = state;
        data["reason"] = reason;
        await s.Store.AppendAsync(_session.Id, SessionEventKinds.Finish, Serialize(data), progress with { State = state, StateReason = reason }, cancel).ConfigureAwait(false);
        _finished = true;
    }

    // ---- Keys, status, audit ----

    private async Task MintKeyAsync()
    {
        var old = _session.KeyId;
        var remaining = Math.Max(1, _session.Limits.MaxCostMicros - _session.CostMicros);
        var created = await s.Keys.CreateAsync(RunnerActor, _session.OrgName, new VirtualKeySpec(
            $"session-{_session.Id}-{s.Time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}",
            OwnerKind: "user", Owner: _session.UserName, AllowedModels: [_session.Route], BudgetUsd: remaining / 1_000_000m, BudgetPeriod: "total",
            ExpiresAt: s.Time.GetUtcNow() + TimeSpan.FromMilliseconds(_session.Limits.MaxWallMs) + TimeSpan.FromMinutes(15), SessionId: _session.Id), cancel).ConfigureAwait(false);
        _key = created.Secret;
        await s.Store.UpdateAsync(_session.Id, new SessionProgress { KeyId = created.Key.Id }, cancel).ConfigureAwait(false);
        _session = _session with { KeyId = created.Key.Id };
        if (old is not null)
        {
            await RevokeKeyAsync(old).ConfigureAwait(false);
        }
    }

    private async Task RevokeKeyAsync(string? keyId)
    {
        if (keyId is null)
        {
            return;
        }

        try
        {
            await s.Keys.RevokeAsync(RunnerActor, _session.OrgName, keyId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (WardenException e)
        {
            LogRevokeFailed(s.Logger, _session.Id, e.Message);
        }
    }

    private Task StatusAsync(string text, SessionProgress? progress) =>
        AppendAsync([(SessionEventKinds.Status, new JsonObject { ["text"] = text })], progress, null);

    /// <summary>A tool call's decision: allowed (<paramref name="outcome"/> success) or denied, with the policies that decided.</summary>
    private AuditEventDraft ToolDraft(Pending call, AgentTools.PolicyQuestion q, SessionPolicy.Verdict v, AuditOutcome outcome, string? reason, string? approval)
    {
        var details = new Dictionary<string, string?>
        {
            ["tool"] = call.Tool, ["callId"] = call.WorkerCallId, ["summary"] = q.Summary, ["reason"] = reason, ["approval"] = approval,
        };
        return Draft(q.Action, Resource(q), outcome, Decision(v), details);
    }

    /// <summary>
    /// How an authorised call ended (<see cref="AuditActions.ToolResult"/>): its status, exit code and duration, or the
    /// sub-agent's session. Its decision is the event of the call's action before it.
    /// </summary>
    private AuditEventDraft ResultDraft(Pending call, AgentTools.PolicyQuestion q, AuditOutcome outcome, string status, ToolResult? result, string? child = null)
    {
        var details = new Dictionary<string, string?>
        {
            ["tool"] = call.Tool, ["callId"] = call.WorkerCallId, ["summary"] = q.Summary, ["action"] = q.Action, ["status"] = status,
            ["exitCode"] = result?.ExitCode?.ToString(CultureInfo.InvariantCulture),
            ["durationMs"] = result?.DurationMs.ToString(CultureInfo.InvariantCulture),
            ["child"] = child,
        };
        return Draft(AuditActions.ToolResult, Resource(q), outcome, null, details);
    }

    private static AuditResource Resource(AgentTools.PolicyQuestion q) =>
        new(q.Resource.Type.Replace("Warden::", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), q.Resource.Id);

    private Task AuditAsync(string action, AuditResource resource, AuditOutcome outcome, PolicyDecision? decision, Dictionary<string, string?>? details) =>
        s.Audit.RecordAsync(Draft(action, resource, outcome, decision, details), CancellationToken.None);

    private AuditEventDraft Draft(string action, AuditResource resource, AuditOutcome outcome, PolicyDecision? decision, Dictionary<string, string?>? details) =>
        new()
        {
            OrgId = _session.OrgId,
            Actor = new AuditActor(Warden.Audit.ActorKind.AgentSession, _session.Id, $"agent for {_session.UserName}"),
            OnBehalfOf = _session.UserName,
            Source = new AuditSource("warden", "warden-agent", _session.Id),
            Action = action,
            Resource = resource,
            Outcome = outcome,
            Policy = decision,
            Details = details is null ? null : AuditDrafts.Details(details),
        };

    private static PolicyDecision Decision(SessionPolicy.Verdict v) => new()
    {
        Effect = v.Allowed ? PolicyEffect.Allow : PolicyEffect.Deny,
        PolicySetVersion = v.Version,
        DeterminingPolicies = v.Policies,
        ErroringPolicies = v.Erroring,
    };

    // ---- Small helpers ----

    private static string Serialize(JsonObject data) => data.ToJsonString(Json);

    private static string? Arg(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Text(JsonNode? content) => content switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => p["text"]?.GetValue<string>())),
        _ => null,
    };

    private static string Render(ToolResult result, int max)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"status: {result.Status}");
        if (result.ExitCode is { } code)
        {
            text.Append(CultureInfo.InvariantCulture, $", exit code {code}");
        }

        if (result.Error is { Length: > 0 } error)
        {
            text.Append('\n').Append(error);
        }

        if (result.Result is { } r)
        {
            text.Append('\n').Append(r.ValueKind == JsonValueKind.Object && r.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                ? content.GetString()
                : r.GetRawText());
        }

        if (result.Output is { Length: > 0 } output)
        {
            text.Append('\n').Append(output);
        }

        if (result.Truncated)
        {
            text.Append("\n[output was truncated by the worker]");
        }

        return Cap(text.ToString(), max);
    }

    internal static string Cap(string text, int max, bool json = false)
    {
        if (text.Length <= max)
        {
            return text;
        }

        if (json)
        {
            return JsonSerializer.Serialize(new { truncated = true, head = text[..(max / 2)] });
        }

        var half = max / 2;
        return text[..half] + $"\n…[{text.Length - max} characters cut]…\n" + text[^half..];
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "Changes by Warden's agent";
        line = line.TrimStart('#', ' ');
        return line.Length <= 72 ? line : line[..69] + "...";
    }

    private static string Short(string? commit) => commit is { Length: > 12 } ? commit[..12] : commit ?? "(no commit)";

    private static string Usd(long micros) => (micros / 1_000_000m).ToString("$0.00####", CultureInfo.InvariantCulture);

    internal static List<string> ChangedFiles(string diff) =>
        diff.Split('\n')
            .Where(l => l.StartsWith("diff --git ", StringComparison.Ordinal))
            .Select(l => l[11..])
            .Select(l => l.IndexOf(" b/", StringComparison.Ordinal) is var i and >= 0 ? l[(i + 3)..] : l)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static JsonArray Names(IEnumerable<string> files) => new(files.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: ending its worker session failed")]
    private static partial void LogReleaseFailed(ILogger logger, string sessionId, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: revoking its key failed: {Reason}")]
    private static partial void LogRevokeFailed(ILogger logger, string sessionId, string reason);
}

/// <summary>Ends a session's loop with a final state and a reason.</summary>
internal sealed class SessionEndedException(string state, string reason, bool alreadyStored = false) : Exception(reason)
{
    /// <summary>The final state.</summary>
    public string State { get; } = state;

    /// <summary>True when the store already holds the final state (a cancellation by a person).</summary>
    public bool AlreadyStored { get; } = alreadyStored;
}
