using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Warden.Client.Contracts;
using Warden.Worker;

namespace Warden.Cli.Commands;

/// <summary>
/// <c>warden worker</c> (run a worker, or <c>list|show|drain</c> workers) and <c>warden pool</c>
/// (<c>create|list|show|delete</c>, <c>token create|list|revoke</c>).
/// </summary>
public static class WorkerCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    /// <summary>Adds <c>worker</c> and <c>pool</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        root.Add(Worker(env));
        root.Add(Pool(env));
    }

    private static Command Worker(CliEnvironment env)
    {
        var server = new Option<string?>("--server") { Description = "The Warden server's URL." };
        var token = new Option<string?>("--token") { Description = "A pool join token (wjt_...; or set WARDEN_WORKER_TOKEN)." };
        var pool = new Option<string?>("--pool") { Description = "The pool the token is for (a guard against mix-ups)." };
        var labels = new Option<string?>("--labels") { Description = "Labels sessions can require: k=v,k2=v2." };
        var capacity = new Option<int>("--capacity") { Description = "Sessions to run at once.", DefaultValueFactory = _ => 2 };
        var spares = new Option<int>("--spare-workspaces")
        {
            Description = "Repositories that keep a checked-out spare workspace ready for their next session (0-100; 0: off; each takes a checkout's disk space).",
            DefaultValueFactory = _ => WorkerOptions.DefaultSpareWorkspaces,
        };
        var data = new Option<string>("--data") { Description = "Data folder: worker id, mirror cache, workspaces.", DefaultValueFactory = _ => ".warden-worker" };
        var name = new Option<string?>("--name") { Description = "The worker's name (default: the host name)." };
        var insecure = new Option<bool>("--insecure-no-sandbox") { Description = "Run sessions WITHOUT a sandbox when bubblewrap is unusable (development only; loudly logged)." };
        var bwrap = new Option<string?>("--bwrap") { Description = "Path to bubblewrap (default: bwrap on PATH)." };
        var privateEgress = new Option<bool>("--egress-allow-private") { Description = "Let sandboxes reach private and loopback addresses through the egress proxy when policy permits the host (internal package mirrors)." };
        var worker = new Command("worker", "Run a worker that dials the server (outbound only), or manage workers (list, show, drain).")
        {
            server, token, pool, labels, capacity, spares, data, name, insecure, privateEgress, bwrap,
        };
        worker.SetHandler(env, async (ctx, ct) =>
        {
            var url = ctx.Parse.GetValue(server) ?? env.Variable("WARDEN_SERVER") ?? throw new CliException("Pass --server URL (the Warden server to connect to), or use 'warden worker list|show|drain'.");
            var secret = ctx.Parse.GetValue(token) ?? env.Variable("WARDEN_WORKER_TOKEN") ?? throw new CliException("Pass --token with a pool join token (create one with 'warden pool token create POOL').");
            var runtime = WorkerRuntimes.Select(ctx.Parse.GetValue(insecure), out var refusal, ctx.Parse.GetValue(privateEgress), ctx.Parse.GetValue(bwrap)) ?? throw new CliException(refusal!);
            IReadOnlyDictionary<string, string> parsedLabels;
            try
            {
                parsedLabels = WorkerOptions.ParseLabels(ctx.Parse.GetValue(labels));
            }
            catch (FormatException e)
            {
                throw new CliException(e.Message);
            }

            var options = new WorkerOptions
            {
                Server = CliContext.ParseServer(url),
                JoinToken = secret,
                Pool = ctx.Parse.GetValue(pool),
                Labels = parsedLabels,
                Capacity = ctx.Parse.GetValue(capacity),
                SpareWorkspaces = ctx.Parse.GetValue(spares),
                DataDirectory = Path.GetFullPath(ctx.Parse.GetValue(data)!),
                Name = ctx.Parse.GetValue(name) ?? Environment.MachineName.ToLowerInvariant(),
            };
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                throw new CliException(string.Join(" ", errors));
            }

            if (!runtime.IsSandboxed)
            {
                env.Error.WriteLine(WorkerRuntimes.InsecureWarning);
            }

            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
            await using var host = new WorkerHost(options, runtime, logging.CreateLogger<WorkerHost>());
            ctx.Line($"Worker '{options.Name}' connecting to {options.Server} (capacity {options.Capacity}, runtime: {runtime.Name}).");
            try
            {
                await host.RunAsync(ct).ConfigureAwait(false);
            }
            catch (WorkerRejectedException e)
            {
                throw new CliException(e.Message);
            }

            ctx.Line(host.IsDraining ? "Drained; stopping." : "Stopping.");
            return 0;
        });

        worker.Add(ListWorkers(env));
        worker.Add(ShowWorker(env));
        worker.Add(DrainWorker(env));
        return worker;
    }

    private static Command ListWorkers(CliEnvironment env)
    {
        var pool = new Option<string?>("--pool") { Description = "Only this pool's workers." };
        var command = new Command("list", "List workers with their state and load.") { pool };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var workers = await client.ListWorkersAsync(ctx.RequireOrg(), ctx.Parse.GetValue(pool), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(workers, Json.IReadOnlyListWorkerDto);
                return 0;
            }

            WriteWorkers(ctx, workers);
            return 0;
        });
        return command;
    }

    private static Command ShowWorker(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The worker's id (wkr_...)." };
        var command = new Command("show", "Show a worker and its recent sessions.") { id };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var detail = await client.GetWorkerAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(detail, Json.WorkerDetailDto);
                return 0;
            }

            var w = detail.Worker;
            ctx.Line($"{w.Name} ({w.Id}) in pool {w.Pool}: {w.State}{(w.StateReason is null ? string.Empty : $" ({w.StateReason})")}");
            ctx.Line($"  version {w.Version}, capacity {w.Capacity}, running {w.Running}, load {w.Load.ToString("0.00", CultureInfo.InvariantCulture)}, sandboxed {(w.Sandboxed ? "yes" : "NO")}");
            ctx.Line($"  labels {Format(w.Labels)}; last heartbeat {Date(w.LastHeartbeatAt)}");
            ctx.WriteTable(["Session", "State", "Reason", "Repository", "Assigned"],
                detail.Sessions.Select(s => (IReadOnlyList<string?>)[s.SessionId, s.State, s.Reason, s.Repository, Date(s.CreatedAt)]));
            return 0;
        });
        return command;
    }

    private static Command DrainWorker(CliEnvironment env)
    {
        var id = new Argument<string>("id") { Description = "The worker's id (wkr_...)." };
        var command = new Command("drain", "Let a worker finish its sessions, give it no new ones, then let it go.") { id };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var worker = await client.DrainWorkerAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(worker, Json.WorkerDto);
                return 0;
            }

            ctx.Line($"Draining {worker.Name} ({worker.Id}): {worker.Running} session(s) still running.");
            return 0;
        });
        return command;
    }

    private static Command Pool(CliEnvironment env)
    {
        var pool = new Command("pool", "Worker pools and their join tokens.");

        var createName = new Argument<string>("name") { Description = "Pool name (lower-case letters, digits, hyphens)." };
        var description = new Option<string?>("--description") { Description = "What the pool is for." };
        var labels = new Option<string?>("--labels") { Description = "Labels all its workers are taken to have: k=v,k2=v2." };
        var create = new Command("create", "Create a pool.") { createName, description, labels };
        create.SetHandler(env, async (ctx, ct) =>
        {
            IReadOnlyDictionary<string, string> parsed;
            try
            {
                parsed = WorkerOptions.ParseLabels(ctx.Parse.GetValue(labels));
            }
            catch (FormatException e)
            {
                throw new CliException(e.Message);
            }

            using var client = ctx.CreateClient();
            var created = await client.CreatePoolAsync(ctx.RequireOrg(), new CreatePoolRequest(ctx.Parse.GetValue(createName)!, ctx.Parse.GetValue(description), parsed), ct).ConfigureAwait(false);
            WritePools(ctx, [created]);
            return 0;
        });

        var list = new Command("list", "List pools.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WritePools(ctx, await client.ListPoolsAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });

        var showName = new Argument<string>("name") { Description = "Pool name." };
        var show = new Command("show", "Show a pool and its workers.") { showName };
        show.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var found = await client.GetPoolAsync(org, ctx.Parse.GetValue(showName)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(found, Json.PoolDto);
                return 0;
            }

            WritePools(ctx, [found]);
            WriteWorkers(ctx, await client.ListWorkersAsync(org, found.Name, ct).ConfigureAwait(false));
            return 0;
        });

        var deleteName = new Argument<string>("name") { Description = "Pool name." };
        var delete = new Command("delete", "Delete a pool with its tokens (refused while workers are connected).") { deleteName };
        delete.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeletePoolAsync(ctx.RequireOrg(), ctx.Parse.GetValue(deleteName)!, ct).ConfigureAwait(false);
            ctx.Line($"Deleted pool {ctx.Parse.GetValue(deleteName)}.");
            return 0;
        });

        pool.Add(create);
        pool.Add(list);
        pool.Add(show);
        pool.Add(delete);
        pool.Add(Tokens(env));
        return pool;
    }

    private static Command Tokens(CliEnvironment env)
    {
        var token = new Command("token", "A pool's join tokens.");

        var createPool = new Argument<string>("pool") { Description = "Pool name." };
        var name = new Option<string>("--name") { Description = "What the token is for.", DefaultValueFactory = _ => "worker" };
        var expires = new Option<int?>("--expires-in-days") { Description = "Lifetime in days (default: no expiry)." };
        var create = new Command("create", "Mint a join token; the secret is shown once.") { createPool, name, expires };
        create.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var created = await client.CreateJoinTokenAsync(ctx.RequireOrg(), ctx.Parse.GetValue(createPool)!, new CreateJoinTokenRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(expires)), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(created, Json.CreatedJoinTokenDto);
                return 0;
            }

            ctx.Line($"Join token: {created.Secret}");
            ctx.Line($"  Shown once. Start a worker with: warden worker --server {client.Server} --token <token> --pool {created.Token.Pool}");
            return 0;
        });

        var listPool = new Argument<string>("pool") { Description = "Pool name." };
        var list = new Command("list", "List a pool's join tokens.") { listPool };
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var tokens = await client.ListJoinTokensAsync(ctx.RequireOrg(), ctx.Parse.GetValue(listPool)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(tokens, Json.IReadOnlyListJoinTokenDto);
                return 0;
            }

            ctx.WriteTable(["Id", "Name", "Prefix", "State", "Created", "Expires", "Last used"],
                tokens.Select(t => (IReadOnlyList<string?>)[t.Id, t.Name, t.Prefix + "…", t.State, Date(t.CreatedAt), t.ExpiresAt is { } e ? Date(e) : "never", Date(t.LastUsedAt)]));
            return 0;
        });

        var revokePool = new Argument<string>("pool") { Description = "Pool name." };
        var revokeId = new Argument<string>("id") { Description = "The token's id (wjk_...)." };
        var revoke = new Command("revoke", "Revoke a join token; workers that joined with it are disconnected.") { revokePool, revokeId };
        revoke.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.RevokeJoinTokenAsync(ctx.RequireOrg(), ctx.Parse.GetValue(revokePool)!, ctx.Parse.GetValue(revokeId)!, ct).ConfigureAwait(false);
            ctx.Line($"Revoked {ctx.Parse.GetValue(revokeId)}.");
            return 0;
        });

        token.Add(create);
        token.Add(list);
        token.Add(revoke);
        return token;
    }

    private static void WritePools(CliContext ctx, IReadOnlyList<PoolDto> pools)
    {
        if (ctx.Json)
        {
            ctx.WriteJson(pools, Json.IReadOnlyListPoolDto);
            return;
        }

        ctx.WriteTable(["Name", "Workers", "Connected", "Tokens", "Labels", "Description", "Created"],
            pools.Select(p => (IReadOnlyList<string?>)[p.Name, N(p.Workers), N(p.Connected), N(p.ActiveTokens), Format(p.Labels), p.Description, Date(p.CreatedAt)]));
    }

    private static void WriteWorkers(CliContext ctx, IReadOnlyList<WorkerDto> workers) =>
        ctx.WriteTable(["Id", "Name", "Pool", "State", "Running", "Load", "Labels", "Sandboxed", "Last heartbeat"],
            workers.Select(w => (IReadOnlyList<string?>)[w.Id, w.Name, w.Pool, w.State, $"{w.Running}/{w.Capacity}", w.Load.ToString("0.00", CultureInfo.InvariantCulture),
                Format(w.Labels), w.Sandboxed ? "yes" : "NO", Date(w.LastHeartbeatAt)]));

    private static string Format(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0 ? "—" : string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Date(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";
}
