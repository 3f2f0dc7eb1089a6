using Microsoft.Extensions.Logging;

namespace Warden.Sandbox.Internal;

/// <summary>The sandbox's log messages. Commands, environment values and URLs are never logged: they can hold secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Sandbox session {SessionId} runs WITHOUT A SANDBOX (InsecureNoSandbox): its commands see the host's files, network and processes")]
    public static partial void InsecureSession(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sandbox session {SessionId} has no cgroup limits ({Reason}); only rlimits apply")]
    public static partial void NoCgroupLimits(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Sandbox session {SessionId} created ({Mode}, cgroup {CgroupVersion}, egress {Egress})")]
    public static partial void SessionCreated(ILogger logger, string sessionId, SandboxMode mode, CgroupVersion cgroupVersion, bool egress);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Sandbox session {SessionId} disposed")]
    public static partial void SessionDisposed(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Sandbox session {SessionId} command {CommandNumber} ended: exit {ExitCode}, timed out {TimedOut}, limits {LimitHit}, {DurationMs} ms")]
    public static partial void CommandEnded(ILogger logger, string sessionId, long commandNumber, int? exitCode, bool timedOut, SandboxLimit limitHit, long durationMs);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Sandbox session {SessionId}: cleanup step failed: {Step}")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string sessionId, string step);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Egress for session {SessionId}: {Method} {Host}:{Port} allowed={Allowed} ({Reason}), {BytesUp} bytes up, {BytesDown} bytes down")]
    public static partial void EgressAttempt(ILogger logger, string sessionId, string method, string host, int port, bool allowed, string reason, long bytesUp, long bytesDown);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Egress proxy for session {SessionId}: the audit callback failed")]
    public static partial void EgressAuditFailed(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Egress proxy for session {SessionId}: connection failed")]
    public static partial void EgressConnectionFailed(ILogger logger, Exception exception, string sessionId);
}
