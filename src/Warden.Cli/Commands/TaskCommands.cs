using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;

namespace Warden.Cli.Commands;

/// <summary>
/// <c>warden task</c>: start an agent session and follow it live (<c>run</c>), and <c>list|show|follow|cancel|retry|send|diff</c>,
/// plus <c>approvals|approve|reject</c> for actions that wait for a person.
/// </summary>
public static class TaskCommands
{
    private static readonly SessionJsonContext Json = SessionJsonContext.Default;

    /// <summary>Adds <c>task</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var task = new Command("task", "Agent sessions: give an agent a task on a repository and follow it to a pull request.");
        task.Add(Run(env));
        task.Add(List(env));
        task.Add(Show(env));
        task.Add(Follow(env));
        task.Add(Cancel(env));
        task.Add(Retry(env));
        task.Add(Send(env));
        task.Add(Diff(env));
        task.Add(Approvals(env));
        task.Add(Decide(env, approve: true));
        task.Add(Decide(env, approve: false));
        root.Add(task);
    }

    private static Command Run(CliEnvironment env)
    {
        var instruction = new Argument<string>("instruction") { Description = "What the agent should do." };
        var repo = new Option<string>("--repo") { Description = "A repository registered in the org (warden repo list).", Required = true };
        var baseRef = new Option<string?>("--base") { Description = "The branch to start from (default: the repository's default branch)." };
        var route = new Option<string?>("--route") { Description = "The model route (default: 'default')." };
        var pool = new Option<string?>("--pool") { Description = "The worker pool (default: 'default')." };
        var steps = new Option<int?>("--max-steps") { Description = "Model calls allowed (default 50)." };
        var cost = new Option<decimal?>("--max-cost") { Description = "Model spend allowed in USD (default 5)." };
        var minutes = new Option<double?>("--max-minutes") { Description = "Wall-clock minutes allowed (default 30)." };
        var detach = new Option<bool>("--detach") { Description = "Print the session id and return instead of following it." };
        var verbose = new Option<bool>("--verbose") { Description = "Also print tool output as it streams." };
        var command = new Command("run", "Start an agent session and follow it live until it ends.") { instruction, repo, baseRef, route, pool, steps, cost, minutes, detach, verbose };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var session = await client.CreateSessionAsync(org, new CreateSessionRequest(ctx.Parse.GetValue(repo)!, ctx.Parse.GetValue(instruction)!, ctx.Parse.GetValue(baseRef),
                ctx.Parse.GetValue(route), ctx.Parse.GetValue(pool), ctx.Parse.GetValue(steps), ctx.Parse.GetValue(cost), ctx.Parse.GetValue(minutes)), ct).ConfigureAwait(false);
            if (ctx.Parse.GetValue(detach))
            {
                if (ctx.Json)
                {
                    ctx.WriteJson(session, Json.SessionDto);
                }
                else
                {
                    ctx.Line(session.Id);
                }

                return 0;
            }

            return await FollowNewAsync(ctx, client, org, session, ctx.Parse.GetValue(verbose), ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Names a session just created and prints its transcript live until it ends, as <c>warden task run</c> does (also
    /// used by <c>warden demo</c>); the exit code is 0 only when it succeeded.
    /// </summary>
    internal static Task<int> FollowNewAsync(CliContext ctx, WardenClient client, string org, SessionDto session, bool verbose, CancellationToken ct)
    {
        if (!ctx.Json)
        {
            ctx.Line($"Session {session.Id}: {session.Repo}@{session.Base} — {OneLine(session.Instruction, 100)}");
        }

        return FollowAsync(ctx, client, org, session.Id, verbose, ct);
    }

    private static Command Follow(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session (ses_...)." };
        var verbose = new Option<bool>("--verbose") { Description = "Also print tool output as it streams." };
        var command = new Command("follow", "Follow a session live from its start until it ends.") { id, verbose };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            return await FollowAsync(ctx, client, ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ctx.Parse.GetValue(verbose), ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Prints a session's transcript as it grows; the exit code is 0 only when it succeeded.</summary>
    private static async Task<int> FollowAsync(CliContext ctx, WardenClient client, string org, string id, bool verbose, CancellationToken ct)
    {
        SessionDto? last = null;
        var started = DateTimeOffset.UtcNow;
        await foreach (var (kind, data) in client.FollowSessionAsync(org, id, 0, ct).ConfigureAwait(false))
        {
            switch (kind)
            {
                case "entry" when !ctx.Json:
                    var entry = data.Deserialize(Json.SessionEventDto)!;
                    foreach (var line in Describe(entry, id))
                    {
                        ctx.Line(line);
                    }

                    if (entry.Kind == "assistant" && last is not null)
                    {
                        ctx.Line($"   [step {last.Steps + 1}/{last.MaxSteps} · {Usd(last.CostUsd + Cost(entry))} · {DateTimeOffset.UtcNow - started:mm\\:ss}]");
                    }

                    break;
                case "entry":
                    ctx.Line(data.GetRawText());
                    break;
                case "session":
                    last = data.Deserialize(Json.SessionDto);
                    break;
                case "output" when verbose && !ctx.Json:
                    ctx.Env.Out.Write(data.GetProperty("text").GetString());
                    break;
            }
        }

        last = await client.GetSessionAsync(org, id, ct).ConfigureAwait(false);
        if (ctx.Json)
        {
            ctx.WriteJson(last, Json.SessionDto);
        }
        else
        {
            ctx.Line($"Session {last.Id} {last.State}: {last.StateReason}");
            ctx.Line($"  {last.Steps} step(s), {last.InputTokens:N0} tokens in / {last.OutputTokens:N0} out, {Usd(last.CostUsd)}");
            if (last.Branch is not null)
            {
                ctx.Line($"  branch {last.Branch} at {last.Commit}");
            }

            if (last.PullRequest is not null)
            {
                ctx.Line($"  pull request {last.PullRequest}");
            }
        }

        return last.State == "succeeded" ? 0 : 1;
    }

    /// <summary>One transcript entry as terminal lines.</summary>
    internal static IEnumerable<string> Describe(SessionEventDto e, string sessionId)
    {
        var d = e.Data;
        string? S(string name) => d.ValueKind == JsonValueKind.Object && d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        switch (e.Kind)
        {
            case "status":
                yield return "•  " + S("text");
                break;
            case "task":
                var files = d.TryGetProperty("instructionFiles", out var f) && f.ValueKind == JsonValueKind.Array ? string.Join(", ", f.EnumerateArray().Select(x => x.GetString())) : string.Empty;
                yield return "•  Task given to the agent" + (files.Length > 0 ? $" with the repository's instructions ({files})" : string.Empty) + ".";
                break;
            case "assistant":
                var message = d.GetProperty("message");
                if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
                {
                    yield return "🤖 " + OneLine(text, 200);
                }

                if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var fn = call.GetProperty("function");
                        yield return $"→  {fn.GetProperty("name").GetString()} {OneLine(fn.TryGetProperty("arguments", out var a) ? a.GetString() ?? string.Empty : string.Empty, 160)}";
                    }
                }

                break;
            case "tool_result":
                var status = S("status");
                var exit = d.TryGetProperty("exitCode", out var x) && x.ValueKind == JsonValueKind.Number ? $" (exit {x.GetInt32()})" : string.Empty;
                yield return $"   {(status == "ok" ? "✓" : "✗")} {S("tool")}: {status}{exit}" + (status is "denied" or "rejected" or "error" ? " — " + OneLine(S("forModel") ?? string.Empty, 200) : string.Empty);
                break;
            case "approval" when S("state") == "pending":
                yield return $"⏸  Waiting for approval {S("approval")}: {S("action")} {S("summary")} (policies: {string.Join(", ", d.GetProperty("policies").EnumerateArray().Select(p => p.GetString()))})";
                yield return $"   approve: warden task approve {sessionId} {S("approval")}    reject: warden task reject {sessionId} {S("approval")}";
                break;
            case "approval":
                yield return $"▶  Approval {S("approval")} {S("state")} by {S("by")}{(S("comment") is { } c ? ": " + c : string.Empty)}";
                break;
            case "message":
                yield return $"✉  {S("by")}: {OneLine(S("text") ?? string.Empty, 200)}";
                break;
            case "compaction":
                yield return "•  Older turns were summarised to stay within the model's window.";
                break;
            case "finish":
                yield return $"■  {S("state")}: {S("reason")}";
                break;
        }
    }

    private static Command List(CliEnvironment env)
    {
        var state = new Option<string?>("--state") { Description = "Only sessions in this state (queued, running, waiting, succeeded, failed, cancelled)." };
        var repo = new Option<string?>("--repo") { Description = "Only this repository." };
        var user = new Option<string?>("--user") { Description = "Only this user's sessions." };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 50)." };
        var command = new Command("list", "List sessions, newest first.") { state, repo, user, limit };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var sessions = await client.ListSessionsAsync(ctx.RequireOrg(), new Dictionary<string, string?>
            {
                ["state"] = ctx.Parse.GetValue(state), ["repo"] = ctx.Parse.GetValue(repo), ["user"] = ctx.Parse.GetValue(user),
                ["limit"] = ctx.Parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(sessions, Json.IReadOnlyListSessionDto);
                return 0;
            }

            ctx.WriteTable(["Session", "State", "Repository", "User", "Steps", "Cost", "Task", "Created"], sessions.Select(s => (IReadOnlyList<string?>)
            [
                s.Id, s.State, $"{s.Repo}@{s.Base}", s.User, $"{s.Steps}/{s.MaxSteps}", Usd(s.CostUsd), OneLine(s.Instruction, 50),
                s.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            ]));
            return 0;
        });
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session (ses_...)." };
        var transcript = new Option<bool>("--transcript") { Description = "Also print the whole transcript." };
        var command = new Command("show", "Show a session.") { id, transcript };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var s = await client.GetSessionAsync(org, ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(s, Json.SessionDto);
                return 0;
            }

            ctx.Line($"{s.Id} {s.State}{(s.StateReason is null ? string.Empty : $": {s.StateReason}")}");
            ctx.Line($"  {s.Repo}@{s.Base} for {s.User}, route {s.Route}, pool {s.Pool}{(s.Worker is null ? string.Empty : $", worker {s.Worker}")}");
            ctx.Line($"  task: {s.Instruction}");
            ctx.Line($"  {s.Steps}/{s.MaxSteps} steps, {Usd(s.CostUsd)} of {Usd(s.MaxCostUsd)}, {s.InputTokens:N0} tokens in / {s.OutputTokens:N0} out");
            if (s.Branch is not null)
            {
                ctx.Line($"  branch {s.Branch} at {s.Commit}{(s.PullRequest is null ? string.Empty : $", pull request {s.PullRequest}")}");
            }

            if (s.Summary is not null)
            {
                ctx.Line($"  summary: {OneLine(s.Summary, 300)}");
            }

            if (ctx.Parse.GetValue(transcript))
            {
                foreach (var entry in await client.ListSessionEventsAsync(org, s.Id, 0, ct).ConfigureAwait(false))
                {
                    foreach (var line in Describe(entry, s.Id))
                    {
                        ctx.Line(line);
                    }
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Cancel(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session (ses_...)." };
        var reason = new Option<string?>("--reason") { Description = "Why." };
        var command = new Command("cancel", "Stop a session.") { id, reason };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var s = await client.CancelSessionAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ctx.Parse.GetValue(reason), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(s, Json.SessionDto);
            }
            else
            {
                ctx.Line($"{s.Id} {s.State}: {s.StateReason}");
            }

            return 0;
        });
        return command;
    }

    private static Command Retry(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session to retry (ses_...)." };
        var follow = new Option<bool>("--follow") { Description = "Follow the new session live." };
        var command = new Command("retry", "Start a new session with the same task as an ended one.") { id, follow };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var s = await client.RetrySessionAsync(org, ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Parse.GetValue(follow))
            {
                return await FollowAsync(ctx, client, org, s.Id, false, ct).ConfigureAwait(false);
            }

            if (ctx.Json)
            {
                ctx.WriteJson(s, Json.SessionDto);
            }
            else
            {
                ctx.Line($"{s.Id} {s.State} (retry of {s.RetryOf})");
            }

            return 0;
        });
        return command;
    }

    private static Command Send(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session (ses_...)." };
        var text = new Argument<string>("message") { Description = "What to tell the agent; it reads it before its next step." };
        var command = new Command("send", "Send a message into a running session.") { id, text };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.SendSessionMessageAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ctx.Parse.GetValue(text)!, ct).ConfigureAwait(false);
            ctx.Line("Sent; the agent reads it before its next step.");
            return 0;
        });
        return command;
    }

    private static Command Diff(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The session (ses_...)." };
        var command = new Command("diff", "Print the session's changes as a unified diff.") { id };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var diff = await client.GetSessionDiffAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(diff, Json.SessionDiffDto);
                return 0;
            }

            ctx.Env.Out.Write(diff.Diff);
            if (diff.Truncated)
            {
                ctx.Env.Error.WriteLine("(the diff was cut at the size limit)");
            }

            return 0;
        });
        return command;
    }

    private static Command Approvals(CliEnvironment env)
    {
        var id = new Argument<string?>("session") { Description = "Only this session's approvals (all states); without it, pending ones across the org.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("approvals", "List actions waiting for a person.") { id };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var session = ctx.Parse.GetValue(id);
            var approvals = session is null
                ? await client.ListPendingApprovalsAsync(org, ct).ConfigureAwait(false)
                : await client.ListSessionApprovalsAsync(org, session, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(approvals, Json.IReadOnlyListApprovalDto);
                return 0;
            }

            ctx.WriteTable(["Approval", "Session", "State", "Action", "What", "Policies", "Decided by"], approvals.Select(a => (IReadOnlyList<string?>)
                [a.Id, a.SessionId, a.State, a.Action, OneLine(a.Summary, 60), string.Join(",", a.Policies), a.DecidedBy]));
            return 0;
        });
        return command;
    }

    private static Command Decide(CliEnvironment env, bool approve)
    {
        var session = new Argument<string>("session") { Description = "The session (ses_...)." };
        var approval = new Argument<string>("approval") { Description = "The approval (apr_...)." };
        var comment = new Option<string?>("--comment") { Description = "Why (recorded in the audit trail)." };
        var command = new Command(approve ? "approve" : "reject", approve ? "Let a waiting action go ahead." : "Refuse a waiting action; the agent is told why.") { session, approval, comment };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var decided = await client.DecideApprovalAsync(ctx.RequireOrg(), ctx.Parse.GetValue(session)!, ctx.Parse.GetValue(approval)!, approve, ctx.Parse.GetValue(comment), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(decided, Json.ApprovalDto);
            }
            else
            {
                ctx.Line($"{decided.Id} {decided.State} by {decided.DecidedBy}: {decided.Action} {OneLine(decided.Summary, 100)}");
            }

            return 0;
        });
        return command;
    }

    private static decimal Cost(SessionEventDto e) =>
        e.Data.TryGetProperty("costMicros", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() / 1_000_000m : 0;

    private static string Usd(decimal usd) => usd.ToString("$0.00####", CultureInfo.InvariantCulture);

    private static string OneLine(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
