namespace Warden.Protocol;

/// <summary>The <c>type</c> discriminators of the protocol's messages.</summary>
public static class MessageTypes
{
    /// <summary>Worker to server, first message: who the worker is and what it still runs.</summary>
    public const string Hello = "hello";

    /// <summary>Server to worker: the registration is accepted.</summary>
    public const string Registered = "registered";

    /// <summary>Worker to server, periodically: still alive, and how loaded.</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>Server to worker: finish what runs, accept nothing new, then leave.</summary>
    public const string Drain = "drain";

    /// <summary>Server to worker: prepare a workspace for a session.</summary>
    public const string SessionAssign = "session.assign";

    /// <summary>Worker to server: the session's workspace and runtime are ready.</summary>
    public const string SessionReady = "session.ready";

    /// <summary>Worker to server: the session could not be prepared, or broke.</summary>
    public const string SessionFailed = "session.failed";

    /// <summary>Server to worker: run one tool call (at most once per call id).</summary>
    public const string ToolCall = "tool.call";

    /// <summary>Worker to server: a chunk of a running call's output.</summary>
    public const string ToolOutput = "tool.output";

    /// <summary>Worker to server: a call's result.</summary>
    public const string ToolResult = "tool.result";

    /// <summary>Server to worker: the session is over; release its workspace and runtime.</summary>
    public const string SessionEnd = "session.end";

    /// <summary>Worker to server: may a session's sandbox connect to this host and port?</summary>
    public const string EgressCheck = "egress.check";

    /// <summary>Server to worker: the answer to an egress check.</summary>
    public const string EgressDecision = "egress.decision";

    /// <summary>Worker to server: an egress connection attempt is over, for the audit ledger.</summary>
    public const string EgressAttempt = "egress.attempt";

    /// <summary>Either way: a message could not be handled.</summary>
    public const string Error = "error";
}
