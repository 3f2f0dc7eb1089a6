using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Warden.Client;

namespace Warden.Cli;

/// <summary>Per-invocation helpers: output as a table or JSON, and a client built from the saved profile.</summary>
public sealed class CliContext(CliEnvironment env, ParseResult parse)
{
    /// <summary>Write JSON instead of tables.</summary>
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Write JSON instead of tables (for scripts).", Recursive = true };

    /// <summary>The org to act in; defaults to the profile's.</summary>
    public static readonly Option<string?> OrgOption = new("--org") { Description = "The org to act in (default: the one saved by 'warden login').", Recursive = true };

    /// <summary>The environment.</summary>
    public CliEnvironment Env { get; } = env;

    /// <summary>The parsed command line.</summary>
    public ParseResult Parse { get; } = parse;

    /// <summary>True when <c>--json</c> was given.</summary>
    public bool Json => Parse.GetValue(JsonOption);

    /// <summary>A console that writes to the environment's output, never with colour codes when redirected.</summary>
    public IAnsiConsole Console { get; } = CreateConsole(env);

    /// <summary>The saved profile, or a failure telling the user to log in.</summary>
    public Profile RequireProfile() =>
        Profile.Load(Env) ?? throw new CliException("Not logged in: run 'warden login --server URL --token TOKEN' (or set WARDEN_SERVER and WARDEN_TOKEN).");

    /// <summary>A client for the saved server and token.</summary>
    public WardenClient CreateClient()
    {
        var profile = RequireProfile();
        return new WardenClient(ParseServer(profile.Server), profile.Token);
    }

    /// <summary>The org from <c>--org</c>, else the profile's default.</summary>
    public string RequireOrg() =>
        Parse.GetValue(OrgOption) ?? RequireProfile().Org ?? throw new CliException("No org: pass --org NAME.");

    /// <summary>Parses and checks a server URL.</summary>
    public static Uri ParseServer(string value)
    {
        if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"'{value}' is not an http(s) URL.");
        }

        return uri;
    }

    /// <summary>Writes <paramref name="value"/> as indented JSON.</summary>
    public void WriteJson<T>(T value, JsonTypeInfo<T> type)
    {
        var options = new JsonSerializerOptions(type.Options) { WriteIndented = true };
        Env.Out.WriteLine(JsonSerializer.Serialize(value, options.GetTypeInfo(typeof(T))));
    }

    /// <summary>Writes rows as a table; values are shown literally, never interpreted as markup.</summary>
    public void WriteTable(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            table.AddColumn(new TableColumn(new Text(c)));
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(v => (Spectre.Console.Rendering.IRenderable)new Text(v ?? string.Empty)).ToArray());
        }

        Console.Write(table);
    }

    private static IAnsiConsole CreateConsole(CliEnvironment env)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(env.Out),
            Ansi = env.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = env.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!env.IsTerminal)
        {
            // Redirected output goes to scripts and logs: wide rows beat cells wrapped at 80 columns.
            console.Profile.Width = 240;
        }

        return console;
    }

    /// <summary>Writes a line of plain text.</summary>
    public void Line(string text) => Env.Out.WriteLine(text);
}
