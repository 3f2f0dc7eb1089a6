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
}
