using Warden.Protocol;

namespace Warden.Server.Workers;

/// <summary>What a session's workspace should hold.</summary>
/// <param name="Repository">Clone URL without credentials, or null for an empty workspace.</param>
/// <param name="BaseRef">Branch, tag or commit; the default branch when null.</param>
/// <param name="Credential">A credential minted for this session only, short-lived.</param>
/// <param name="Limits">Resource limits; the worker's defaults when null.</param>
public sealed record WorkspaceRequest(string? Repository = null, string? BaseRef = null, SessionCredential? Credential = null, SessionLimits? Limits = null);
