namespace Warden.Server.Policy;

/// <summary>A bundle cannot be loaded; <see cref="Errors"/> lists every problem, each starting with its file (and line:column).</summary>
public sealed class PolicyBundleException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>Each problem.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
