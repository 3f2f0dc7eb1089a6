namespace Warden.Worker.Runtime;

/// <summary>Creates a runtime over a prepared workspace, one per session.</summary>
public interface ISessionRuntimeFactory
{
    /// <summary>A short name for logs and the worker's hello (<c>bubblewrap</c>, <c>process</c>).</summary>
    string Name { get; }

    /// <summary>
    /// True when sessions are isolated from the host (namespaces, no network, scrubbed environment). The worker reports
    /// it in its hello so the server and its operators can see an insecure worker.
    /// </summary>
    bool IsSandboxed { get; }

    /// <summary>Creates the runtime for a session whose workspace is ready.</summary>
    ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken);
}
