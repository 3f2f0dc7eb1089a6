using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Warden.Data.Identity;
using Warden.Data.Workers;
using Warden.Server.Hosting;
using Warden.Worker;
using Warden.Worker.Runtime;

namespace Warden.Cli.Commands;

/// <summary>
/// The worker inside <c>warden up</c>: pool <c>local</c> of the bootstrap org, a join token minted at each start (the
/// previous start's is revoked), and a <see cref="WorkerHost"/> in this process dialling the server over loopback.
/// </summary>
public sealed class LocalWorker : IAsyncDisposable
{
    /// <summary>The pool the local worker joins.</summary>
    public const string PoolName = "local";

    private const string TokenName = "warden up local worker";
    private readonly WorkerHost _host;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly ILoggerFactory _logging;

    private LocalWorker(WorkerHost host, ILoggerFactory logging)
    {
        _host = host;
        _logging = logging;
        _run = Task.Run(() => host.RunAsync(_stop.Token));
    }

    /// <summary>Starts the local worker, or prints why it does not start (no sandbox runtime and no insecure flag) and returns null.</summary>
    public static async Task<LocalWorker?> StartAsync(CliContext ctx, WardenServerHost server, WardenServerOptions options, string dataDirectory, bool insecureNoSandbox, CancellationToken ct)
    {
        var runtime = WorkerRuntimes.Select(insecureNoSandbox, out var refusal);
        if (runtime is null)
        {
            ctx.Line("Local worker: not started. " + refusal);
            return null;
        }

        if (!runtime.IsSandboxed)
        {
            ctx.Env.Error.WriteLine(WorkerRuntimes.InsecureWarning);
        }

        return await StartAsync(ctx, server, options, dataDirectory, runtime, ct).ConfigureAwait(false);
    }

    /// <summary>Starts the local worker with a runtime the caller chose (see <see cref="WorkerRuntimes.Select"/>) and warned about.</summary>
    public static async Task<LocalWorker> StartAsync(CliContext ctx, WardenServerHost server, WardenServerOptions options, string dataDirectory, ISessionRuntimeFactory runtime, CancellationToken ct)
    {
        var actor = Actor.System("local-worker");
        var pools = server.App.Services.GetRequiredService<WorkerPoolStore>();
        await pools.EnsureAsync(actor, options.BootstrapOrg, PoolName, "The worker inside 'warden up'.", ct).ConfigureAwait(false);
        foreach (var old in await pools.ListTokensAsync(actor, options.BootstrapOrg, PoolName, ct).ConfigureAwait(false))
        {
            if (old.Name == TokenName && old.RevokedAt is null)
            {
                await pools.RevokeTokenAsync(actor, options.BootstrapOrg, PoolName, old.Id, ct).ConfigureAwait(false);
            }
        }

        var token = await pools.CreateTokenAsync(actor, options.BootstrapOrg, PoolName, TokenName, null, ct).ConfigureAwait(false);
        var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var host = new WorkerHost(new WorkerOptions
        {
            Server = server.BaseAddress,
            JoinToken = token.Secret,
            Pool = PoolName,
            Name = "local",
            DataDirectory = Path.Combine(dataDirectory, "worker"),
            Capacity = Math.Max(2, Environment.ProcessorCount),
            ReconnectMaxDelay = TimeSpan.FromSeconds(5),
        }, runtime, logging.CreateLogger<WorkerHost>());
        ctx.Line($"Local worker: pool '{PoolName}', runtime {runtime.Name}.");
        return new LocalWorker(host, logging);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (WorkerRejectedException)
        {
            // The server is going away with us.
        }

        await _host.DisposeAsync().ConfigureAwait(false);
        _logging.Dispose();
        _stop.Dispose();
    }
}
