using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Warden.Server.Workers;

/// <summary>
/// Background service: at start, takes over the workers the previous server process had (<see cref="WorkerHub.RecoverAsync"/>);
/// then sweeps every <see cref="WorkerServerOptions.SweepInterval"/> for silent and lost workers. Whether a worker is
/// silent or lost is judged on the server's <see cref="TimeProvider"/>, so tests drive it with a fake clock.
/// </summary>
public sealed partial class WorkerMonitor(WorkerHub hub, ILogger<WorkerMonitor> logger) : BackgroundService
{
    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the server listens, so a worker reconnecting after a restart finds its sessions.
        await hub.RecoverAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(hub.Options.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await hub.SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogSweepFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The worker sweep failed; it runs again at the next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
