namespace Warden.Worker.Runtime;

/// <summary>
/// Creates <see cref="ProcessSessionRuntime"/>s: NOT a sandbox. For tests and development only; the worker command
/// uses it only under an explicit <c>--insecure-no-sandbox</c>, and says so loudly.
/// </summary>
public sealed class ProcessSessionRuntimeFactory : ISessionRuntimeFactory
{
    /// <inheritdoc />
    public string Name => "process (NOT sandboxed)";

    /// <inheritdoc />
    public bool IsSandboxed => false;

    /// <inheritdoc />
    public ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ISessionRuntime>(new ProcessSessionRuntime(context));
}
