using System.Net;

namespace Warden.Server.Hosting;

/// <summary>
/// Everything a control plane needs to start. Bound from configuration (section <c>Warden</c>, environment
/// <c>WARDEN__...</c>) and command-line options, then checked by <see cref="Validate"/>, which lists every problem at once.
/// </summary>
public sealed record WardenServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Warden";

    /// <summary>A SQLite file path or a PostgreSQL connection string. Defaults to <c>warden.db</c> in <see cref="DataDirectory"/>.</summary>
    public string? Database { get; init; }

    /// <summary>The data folder: SQLite database, master key file, key material. Optional with PostgreSQL and <c>WARDEN_MASTER_KEY</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary><c>host:port</c> to listen on; port 0 lets the OS choose (tests).</summary>
    public string Listen { get; init; } = "127.0.0.1:8080";

    /// <summary>The master key, base64; normally from <c>WARDEN_MASTER_KEY</c>.</summary>
    public string? MasterKey { get; init; }

    /// <summary>The largest request body accepted, in bytes.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest request body the model gateway accepts (prompts with images and long contexts are big).</summary>
    public long GatewayMaxRequestBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>
    /// Gateway calls whose records (usage row, audit event) may wait to be written. When the writer is this far
    /// behind, calls wait for room before their response completes rather than records being dropped.
    /// </summary>
    public int GatewayUsageQueueCapacity { get; init; } = Gateway.UsageRecorder.DefaultCapacity;

    /// <summary>
    /// When gateway calls come fast (about a thousand a second or more), how long the record writer lets their records
    /// gather, up to 64, so that they share one durable write (zero: each write takes what is queued at once). Calls
    /// do not wait for it; their records become durable at most that much later. Between 0 and 1 second.
    /// </summary>
    public TimeSpan GatewayUsageGatherWindow { get; init; } = Gateway.UsageRecorder.DefaultGatherWindow;

    /// <summary>
    /// How often the server gives back to the OS the memory native code (the JIT, SQLite) has freed but glibc's
    /// <c>malloc</c> still holds (<see cref="NativeMemoryTrimmer"/>); zero turns it off. Zero, or 1 second to 1 hour.
    /// </summary>
    public TimeSpan NativeMemoryTrimInterval { get; init; } = NativeMemoryTrimmer.DefaultInterval;

    /// <summary>Name of the org created on first start.</summary>
    public string BootstrapOrg { get; init; } = "default";

    /// <summary>Name of the site administrator created on first start.</summary>
    public string BootstrapAdmin { get; init; } = "admin";

    /// <summary>Failed sign-ins allowed per user name and address within <see cref="LoginWindow"/> before further attempts are refused.</summary>
    public int MaxLoginFailures { get; init; } = 5;

    /// <summary>The window over which failed sign-ins are counted, and how long a lock-out lasts.</summary>
    public TimeSpan LoginWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often audit retention runs (erasing events past their org's period, then pruning a fully erased prefix);
    /// zero turns the background run off (it can still be run from the API or the CLI). The first run is a minute
    /// after start.
    /// </summary>
    public TimeSpan AuditRetentionInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Audit export sinks (section <c>Warden:AuditExporters</c>); empty exports nothing.</summary>
    public IReadOnlyList<Audit.AuditExporterOptions> AuditExporters { get; init; } = [];

    /// <summary>Worker heartbeat, loss and grace timings (section <c>Warden:Workers</c>).</summary>
    public Workers.WorkerServerOptions Workers { get; init; } = new();

    /// <summary>How agent sessions run.</summary>
    public Sessions.SessionRunnerOptions Sessions { get; init; } = new();

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Database) && string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("Set a database (--database, Warden:Database) or a data folder (--data, Warden:DataDirectory).");
        }

        if (string.IsNullOrWhiteSpace(MasterKey) && string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("Set WARDEN_MASTER_KEY or a data folder (--data) to hold the master key file.");
        }

        if (!TryParseListen(Listen, out _))
        {
            errors.Add($"Listen address '{Listen}' is not host:port (for example 127.0.0.1:8080 or [::1]:8080).");
        }

        if (MaxRequestBodyBytes is < 1024 or > 1024L * 1024 * 1024)
        {
            errors.Add($"MaxRequestBodyBytes {MaxRequestBodyBytes} must be between 1 KiB and 1 GiB.");
        }

        if (GatewayUsageQueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add($"GatewayUsageQueueCapacity {GatewayUsageQueueCapacity} must be between 1 and 1,000,000.");
        }

        if (GatewayUsageGatherWindow < TimeSpan.Zero || GatewayUsageGatherWindow > TimeSpan.FromSeconds(1))
        {
            errors.Add($"GatewayUsageGatherWindow {GatewayUsageGatherWindow} must be between 0 and 1 second.");
        }

        if (NativeMemoryTrimInterval != TimeSpan.Zero && (NativeMemoryTrimInterval < TimeSpan.FromSeconds(1) || NativeMemoryTrimInterval > TimeSpan.FromHours(1)))
        {
            errors.Add($"NativeMemoryTrimInterval {NativeMemoryTrimInterval} must be zero (off) or between 1 second and 1 hour.");
        }

        if (MaxLoginFailures < 1)
        {
            errors.Add("MaxLoginFailures must be at least 1.");
        }

        if (LoginWindow <= TimeSpan.Zero)
        {
            errors.Add("LoginWindow must be positive.");
        }

        for (var i = 0; i < AuditExporters.Count; i++)
        {
            errors.AddRange(AuditExporters[i].Validate($"AuditExporters:{i} ('{AuditExporters[i].Name}')"));
        }

        foreach (var name in AuditExporters.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            errors.Add($"AuditExporters: the name '{name}' is used more than once; each sink needs its own (it keys the export cursor).");
        }

        errors.AddRange(Workers.Validate());
        return errors;
    }

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>localhost:port</c>.</summary>
    public static bool TryParseListen(string? value, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var text = value.Trim();
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            text = "127.0.0.1" + text["localhost".Length..];
        }

        return IPEndPoint.TryParse(text, out var parsed) && parsed is not null && text.Contains(':', StringComparison.Ordinal) && (endpoint = parsed) is not null;
    }
}
