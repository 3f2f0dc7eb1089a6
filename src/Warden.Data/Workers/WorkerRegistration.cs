namespace Warden.Data.Workers;

/// <summary>What a connecting worker told the server, checked by its join token.</summary>
/// <param name="WorkerId">The id it had before, or null for a new worker.</param>
/// <param name="Token">The join token it connected with.</param>
/// <param name="Name">Its name.</param>
/// <param name="Version">Its software version.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Capacity">Its capacity.</param>
/// <param name="Sandboxed">Whether its runtimes are sandboxed.</param>
/// <param name="Draining">Whether it is draining.</param>
/// <param name="Secret">The worker secret it was given at its first registration (required with <paramref name="WorkerId"/>).</param>
public sealed record WorkerRegistration(string? WorkerId, JoinTokenIdentity Token, string Name, string Version,
    IReadOnlyDictionary<string, string> Labels, int Capacity, bool Sandboxed, bool Draining, string? Secret = null);

/// <summary>A registered worker and, when the server issued one now, the secret it must present from then on.</summary>
/// <param name="Record">The worker.</param>
/// <param name="IssuedSecret">A new worker secret (a new worker, or one registered before workers had secrets); null otherwise.</param>
public sealed record WorkerRegistered(WorkerRecord Record, string? IssuedSecret);
