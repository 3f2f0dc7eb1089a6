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
public sealed record WorkerRegistration(string? WorkerId, JoinTokenIdentity Token, string Name, string Version,
    IReadOnlyDictionary<string, string> Labels, int Capacity, bool Sandboxed, bool Draining);
