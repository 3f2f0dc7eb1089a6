using Warden.Cli;

namespace Warden.IntegrationTests;

/// <summary>Runs the <c>warden</c> CLI in-process with its own config folder, capturing what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Runs <paramref name="args"/> with <paramref name="configDirectory"/> as the user's config folder.</summary>
    public static Task<(int Code, string Out, string Err)> RunAsync(string configDirectory, params string[] args) =>
        RunWithAsync(configDirectory, null, null, args);

    /// <summary>
    /// Runs <paramref name="args"/> with <paramref name="variables"/> as the whole environment and
    /// <paramref name="stdin"/> as standard input (empty when null).
    /// </summary>
    public static async Task<(int Code, string Out, string Err)> RunWithAsync(
        string configDirectory, IReadOnlyDictionary<string, string>? variables, string? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment(stdout, stderr, name => variables?.GetValueOrDefault(name), configDirectory, IsTerminal: false)
        {
            In = new StringReader(stdin ?? string.Empty),
        };
        var code = await WardenCli.RunAsync(args, env);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A test class that runs <c>warden</c> commands with its own, throw-away config folder (the saved login).</summary>
public abstract class CliTestBase : IDisposable
{
    /// <summary>The config folder the commands use.</summary>
    protected string ConfigFolder { get; } = Path.Combine(Path.GetTempPath(), "warden-cli-" + Guid.NewGuid().ToString("N"));

    /// <summary>Runs <c>warden</c> with <paramref name="args"/> in-process.</summary>
    protected Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRunner.RunAsync(ConfigFolder, args);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(ConfigFolder))
        {
            Directory.Delete(ConfigFolder, true);
        }

        GC.SuppressFinalize(this);
    }
}
