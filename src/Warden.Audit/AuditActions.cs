namespace Warden.Audit;

/// <summary>
/// Action names Warden itself records, so producers and queries agree on spelling. Imported events keep their
/// tool's event names (normalised, e.g. <c>claude_code.tool_result</c>).
/// </summary>
public static class AuditActions
{
    /// <summary>A user signed in.</summary>
    public const string AuthLogin = "auth.login";

    /// <summary>A user signed out.</summary>
    public const string AuthLogout = "auth.logout";

    /// <summary>An API key or token was created.</summary>
    public const string TokenCreate = "token.create";

    /// <summary>An API key or token was revoked.</summary>
    public const string TokenRevoke = "token.revoke";

    /// <summary>A model was called (through Warden's gateway or reported by an agent).</summary>
    public const string ModelInvoke = "model.invoke";

    /// <summary>An agent called a tool.</summary>
    public const string ToolCall = "tool.call";

    /// <summary>
    /// An agent's tool call finished (details: tool, callId, status, exit code, duration). The call's decision is the
    /// earlier event of its policy action (<c>shell.exec</c>, <c>file.write</c> ...), durable before the call ran.
    /// </summary>
    public const string ToolResult = "tool.result";

    /// <summary>A policy set was published.</summary>
    public const string PolicyPublish = "policy.publish";

    /// <summary>An agent session started.</summary>
    public const string SessionStart = "session.start";

    /// <summary>An agent session ended.</summary>
    public const string SessionEnd = "session.end";

    /// <summary>The audit signing key was rotated.</summary>
    public const string AuditKeyRotate = "audit.key.rotate";

    /// <summary>Audit events were exported.</summary>
    public const string AuditExport = "audit.export";

    /// <summary>An org's audit retention period was set or cleared.</summary>
    public const string RetentionSet = "audit.retention.set";

    /// <summary>
    /// Retention erased the content of events past their org's retention period (details: org, cutoff, count,
    /// first_seq, last_seq, digest). Appended before the erasure; never itself erased.
    /// </summary>
    public const string RetentionErase = "audit.retention.erase";

    /// <summary>Retention removed a prefix of fully erased events up to a checkpoint (details: through_seq).</summary>
    public const string RetentionCompact = "audit.retention.compact";

    /// <summary>A legal hold was placed on an org's audit trail: nothing of it is erased until released.</summary>
    public const string LegalHoldPlace = "audit.hold.place";

    /// <summary>A legal hold was released.</summary>
    public const string LegalHoldRelease = "audit.hold.release";
}
