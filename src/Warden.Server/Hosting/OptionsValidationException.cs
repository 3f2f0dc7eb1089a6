namespace Warden.Server.Hosting;

/// <summary>The server's options are unusable; <see cref="Errors"/> lists every problem.</summary>
public sealed class OptionsValidationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    /// <summary>Each problem, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
