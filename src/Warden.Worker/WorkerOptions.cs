using System.Text.RegularExpressions;

namespace Warden.Worker;

/// <summary>How a worker connects and what it offers. Checked by <see cref="Validate"/>, which lists every problem at once.</summary>
public sealed partial record WorkerOptions
{
    /// <summary>The server's base URL (http or https; the worker dials <c>ws(s)://.../api/v1/workers/connect</c>).</summary>
    public required Uri Server { get; init; }

    /// <summary>The pool join token (<c>wjt_...</c>). Never logged.</summary>
    public required string JoinToken { get; init; }

    /// <summary>The pool the worker expects to join; the token decides, this only guards against a mix-up.</summary>
    public string? Pool { get; init; }

    /// <summary>A human name for the worker.</summary>
    public string Name { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Labels sessions can require.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Sessions the worker runs at once.</summary>
    public int Capacity { get; init; } = 2;

    /// <summary>The worker's data folder: its id, the mirror cache and the workspaces.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The first reconnection delay; each failure doubles it, up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnection delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for the connection and the registration.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Stop once drained (true), or stay connected and idle (false).</summary>
    public bool ExitWhenDrained { get; init; } = true;

    /// <summary>The git executable.</summary>
    public string GitExecutable { get; init; } = "git";

    /// <summary>
    /// The most repositories that keep a spare workspace, checked out ahead of time so a session of that repository is
    /// ready without a full checkout (0 turns spares off). Each spare takes the disk space of one checkout.
    /// </summary>
    public int SpareWorkspaces { get; init; } = DefaultSpareWorkspaces;

    /// <summary>The default of <see cref="SpareWorkspaces"/>.</summary>
    public const int DefaultSpareWorkspaces = 4;

    /// <summary>The committer of the commits the worker makes when it publishes a session (the author names the agent and the requester).</summary>
    public string CommitterName { get; init; } = Workspaces.WorkspaceGit.DefaultCommitterName;

    /// <summary>The committer's e-mail.</summary>
    public string CommitterEmail { get; init; } = Workspaces.WorkspaceGit.DefaultCommitterEmail;

    /// <summary>The software version reported in the hello.</summary>
    public string SoftwareVersion { get; init; } = typeof(WorkerOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Server.IsAbsoluteUri || (Server.Scheme != Uri.UriSchemeHttp && Server.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"The server '{Server}' must be an http(s) URL.");
        }

        if (!JoinToken.StartsWith("wjt_", StringComparison.Ordinal) || JoinToken.Length < 20)
        {
            errors.Add("The token must be a pool join token (wjt_...); create one with 'warden pool token create POOL'.");
        }

        if (Capacity is < 1 or > 1000)
        {
            errors.Add($"Capacity {Capacity} must be between 1 and 1000.");
        }

        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100 || Name.Any(char.IsControl))
        {
            errors.Add("The worker name must be 1-100 printable characters.");
        }

        foreach (var (key, value) in Labels)
        {
            if (!LabelKey().IsMatch(key) || value.Length > 100 || value.Any(char.IsControl))
            {
                errors.Add($"Label '{key}' is not valid: keys are 1-63 letters, digits, '.', '_', '-' or '/'; values at most 100 printable characters.");
            }
        }

        if (SpareWorkspaces is < 0 or > 100)
        {
            errors.Add($"Spare workspaces {SpareWorkspaces} must be between 0 and 100.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("A data folder is required (--data).");
        }

        if (string.IsNullOrWhiteSpace(CommitterName) || CommitterName.Length > 200 || CommitterName.Any(c => char.IsControl(c) || c is '<' or '>'))
        {
            errors.Add("The committer name must be 1-200 printable characters without '<' or '>'.");
        }

        if (!CommitterEmailShape().IsMatch(CommitterEmail ?? string.Empty))
        {
            errors.Add("The committer e-mail must look like name@host.");
        }

        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            errors.Add("Reconnection delays must be positive, the maximum at least the minimum.");
        }

        return errors;
    }

    /// <summary>For logs: everything but the join token.</summary>
    public override string ToString() =>
        $"WorkerOptions {{ Server = {Server}, Pool = {Pool}, Name = {Name}, Capacity = {Capacity}, Labels = {string.Join(",", Labels.Select(kv => kv.Key + "=" + kv.Value))}, DataDirectory = {DataDirectory}, JoinToken = *** }}";

    /// <summary>The WebSocket URL of the connect endpoint for <paramref name="server"/>.</summary>
    public static Uri ConnectUri(Uri server)
    {
        var builder = new UriBuilder(server) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        builder.Path = builder.Path.TrimEnd('/') + "/api/v1/workers/connect";
        return builder.Uri;
    }

    /// <summary>Parses <c>k=v,k2=v2</c>; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static IReadOnlyDictionary<string, string> ParseLabels(string? text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return labels;
        }

        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"Label '{part}' is not key=value.");
            }

            labels[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }

        return labels;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"^[^\s<>@]{1,200}@[^\s<>@]{1,200}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommitterEmailShape();
}
