namespace Warden.Sandbox;

/// <summary>
/// Runs commands in a session's sandbox. <see cref="SandboxSession"/> implements it; the worker's tests can substitute
/// a scripted runner.
/// </summary>
public interface ISandboxCommandRunner
{
    /// <summary>Runs one command; see <see cref="SandboxSession.RunAsync"/> for the semantics.</summary>
    Task<CommandResult> RunAsync(CommandSpec spec, Func<OutputChunk, ValueTask>? onOutput = null, CancellationToken cancellationToken = default);
}
