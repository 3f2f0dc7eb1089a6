using Microsoft.Extensions.Logging;
using Warden.Protocol;
using Warden.Sandbox;
using Warden.Sandbox.Egress;

namespace Warden.Worker.Runtime;

/// <summary>
/// The production runtime: every session in its own bubblewrap sandbox (<see cref="Warden.Sandbox"/>), with the
/// session's limits, no network but the egress proxy, and that proxy asking the server (policy
/// <c>egress.connect</c>) before each connection and reporting each attempt for the audit ledger.
/// </summary>
public sealed class SandboxSessionRuntimeFactory(SandboxRuntime runtime, ILoggerFactory? loggers = null, bool allowPrivateEgressTargets = false) : ISessionRuntimeFactory
{
    /// <inheritdoc />
    public string Name => runtime.Options.Mode == SandboxMode.Bubblewrap ? "bubblewrap" : "insecure-no-sandbox";

    /// <inheritdoc />
    public bool IsSandboxed => runtime.Options.Mode == SandboxMode.Bubblewrap;

    /// <summary>The sandbox runtime sessions are created in.</summary>
    public SandboxRuntime Runtime => runtime;

    /// <summary>Sandbox limits from the session's limits; unset ones keep the sandbox defaults.</summary>
    public static SandboxLimits LimitsFor(SessionLimits limits)
    {
        var result = SandboxLimits.Default;
        if (limits.Processes is { } p)
        {
            result = result with { MaxProcesses = p };
        }

        if (limits.MemoryMb is { } m)
        {
            result = result with { MemoryBytes = m * 1024L * 1024 };
        }

        if (limits.CpuSeconds is { } c)
        {
            result = result with { CpuTime = TimeSpan.FromSeconds(c) };
        }

        if (limits.FileSizeMb is { } f)
        {
            result = result with { FileSizeBytes = f * 1024L * 1024 };
        }

        if (limits.ToolTimeoutMs is { } t)
        {
            result = result with { CommandTimeout = TimeSpan.FromMilliseconds(t) };
        }

        if (limits.WallClockSeconds is { } w)
        {
            result = result with { SessionWallClock = TimeSpan.FromSeconds(w) };
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken)
    {
        EgressProxyOptions? egress = null;
        if (context.Egress is { } channel && runtime.Report.EgressAvailable)
        {
            egress = new EgressProxyOptions
            {
                Gate = new ServerEgressGate(channel),
                AllowLoopbackTargets = allowPrivateEgressTargets,
                AllowPrivateNetworkTargets = allowPrivateEgressTargets,
            };
        }

        try
        {
            var session = await runtime.CreateSessionAsync(new SandboxSessionOptions
            {
                SessionId = context.SessionId,
                WorkspaceDirectory = context.WorkspacePath,
                Limits = LimitsFor(context.Limits),
                Egress = egress,
            }, cancellationToken).ConfigureAwait(false);
            return new SandboxSessionRuntime(session, context, loggers?.CreateLogger<SandboxSessionRuntime>());
        }
        catch (SandboxRuntimeException e)
        {
            throw new InvalidOperationException("The session's sandbox could not be created: " + e.Message, e);
        }
    }

    /// <summary>The egress gate of one session: policy decisions and audit go through the worker's connection.</summary>
    private sealed class ServerEgressGate(IEgressChannel channel) : IEgressGate
    {
        public async ValueTask<bool> DecideAsync(EgressRequest request, CancellationToken cancellationToken) =>
            (await channel.CheckAsync(request.SessionId, request.Host, request.Port, request.Scheme, cancellationToken).ConfigureAwait(false)).Allowed;

        public void OnAttempt(EgressAttempt attempt) => channel.Report(new EgressAttemptMessage
        {
            SessionId = attempt.SessionId,
            Host = attempt.Request?.Host ?? "(malformed request)",
            Port = attempt.Request?.Port ?? 0,
            Scheme = attempt.Request?.Scheme,
            Allowed = attempt.Allowed,
            Reason = attempt.Reason,
            StatusCode = attempt.StatusCode,
            ResolvedAddress = attempt.ResolvedAddress,
            BytesUp = attempt.BytesUp,
            BytesDown = attempt.BytesDown,
            DurationMs = (long)attempt.Duration.TotalMilliseconds,
        });
    }
}
