namespace Warden.Cli;

/// <summary>
/// What the CLI reads from and writes to the outside world. Tests pass their own writers, variables and config
/// folder, so the same code paths run in-process under test as in a terminal.
/// </summary>
public sealed record CliEnvironment(TextWriter Out, TextWriter Error, Func<string, string?> Variable, string ConfigDirectory, bool IsTerminal)
{
    /// <summary>Standard input, for secrets that must not go on the command line (the process's by default).</summary>
    public TextReader In { get; init; } = Console.In;

    /// <summary>The real console and environment.</summary>
    public static CliEnvironment FromProcess() => new(
        Console.Out,
        Console.Error,
        Environment.GetEnvironmentVariable,
        DefaultConfigDirectory(Environment.GetEnvironmentVariable),
        !Console.IsOutputRedirected);

    /// <summary><c>$WARDEN_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/warden</c>, else <c>~/.config/warden</c>.</summary>
    public static string DefaultConfigDirectory(Func<string, string?> variable)
    {
        if (variable("WARDEN_CONFIG_DIR") is { Length: > 0 } explicitDir)
        {
            return explicitDir;
        }

        var xdg = variable("XDG_CONFIG_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg;
        return Path.Combine(root, "warden");
    }
}
