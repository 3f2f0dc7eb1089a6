using Warden.Protocol;

namespace Warden.Worker.Runtime;

/// <summary>What a runtime needs to know about its session.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="WorkspacePath">The workspace folder: the only tree the session may write.</param>
/// <param name="Limits">The session's resource limits.</param>
/// <param name="Egress">Where egress decisions come from; null when the session has no network at all.</param>
public sealed record SessionRuntimeContext(string SessionId, string WorkspacePath, SessionLimits Limits, IEgressChannel? Egress = null);
