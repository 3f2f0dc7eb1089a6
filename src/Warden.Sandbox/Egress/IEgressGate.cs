namespace Warden.Sandbox.Egress;

/// <summary>
/// The worker's side of egress: decides every connection a sandbox asks for and records every attempt. The worker
/// implements it by asking the policy engine (<c>egress.connect</c>) and writing the audit trail.
/// </summary>
public interface IEgressGate
{
    /// <summary>
    /// Decides whether the session may connect to <see cref="EgressRequest.Host"/>:<see cref="EgressRequest.Port"/>.
    /// Called before the name is resolved. Even when it returns true, the proxy refuses addresses it never lets a
    /// sandbox reach (loopback, link-local, private networks, ...) unless <see cref="EgressProxyOptions"/> allows them.
    /// </summary>
    ValueTask<bool> DecideAsync(EgressRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Records one attempt, allowed or not, once it is over (for a tunnel: when it closes, with the bytes moved).
    /// Called for malformed requests too. Must not throw; it should hand the record off quickly.
    /// </summary>
    void OnAttempt(EgressAttempt attempt);
}
