using Warden.Cli;

namespace Warden.IntegrationTests;

/// <summary>Runs the <c>warden</c> CLI in-process with its own config folder, capturing what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Runs <paramref name="args"/> with <paramref name="configDirectory"/> as the user's config folder.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string configDirectory, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await WardenCli.RunAsync(args, new CliEnvironment(stdout, stderr, _ => null, configDirectory, IsTerminal: false));
        return (code, stdout.ToString(), stderr.ToString());
    }
}
