using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Server.Hosting;

namespace Warden.Cli.Commands;

/// <summary><c>warden up</c>, <c>warden server</c> and <c>warden admin-token</c>: the commands that run or repair a control plane.</summary>
public static class ServerCommands
{
    /// <summary>The default data folder of <c>warden up</c>.</summary>
    public const string DefaultDataDirectory = ".warden";

    /// <summary>Adds the commands to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var dataOption = new Option<string>("--data") { Description = "Data folder: SQLite database, master key, keys.", DefaultValueFactory = _ => DefaultDataDirectory };
        var listenOption = new Option<string>("--listen") { Description = "Address to listen on, host:port.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var insecureOption = new Option<bool>("--insecure-no-sandbox") { Description = "Run the local worker WITHOUT a sandbox (development only; loudly logged)." };
        var up = new Command("up", "Start Warden on this machine: control plane on SQLite in the data folder and a local worker (the embedded default).")
        {
            dataOption, listenOption, insecureOption,
        };
        up.SetHandler(env, async (ctx, ct) =>
        {
            var data = Path.GetFullPath(ctx.Parse.GetValue(dataOption)!);
            var options = LoadOptions(env, null) with { DataDirectory = data, Database = null, Listen = ctx.Parse.GetValue(listenOption)! };
            return await RunServerAsync(ctx, options, data, ct, localWorker: true, insecureNoSandbox: ctx.Parse.GetValue(insecureOption)).ConfigureAwait(false);
        });
        root.Add(up);

        var databaseOption = new Option<string?>("--database") { Description = "SQLite file path or PostgreSQL connection string (Host=...; or postgres://...)." };
        var serverListen = new Option<string?>("--listen") { Description = "Address to listen on, host:port (default 127.0.0.1:8080)." };
        var serverData = new Option<string?>("--data") { Description = "Data folder for the master key file and keys (or set WARDEN_MASTER_KEY)." };
        var configOption = new Option<string?>("--config") { Description = "An appsettings JSON file (section 'Warden')." };
        var server = new Command("server", "Run the control plane only (production: PostgreSQL, several replicas, remote workers).")
        {
            databaseOption, serverListen, serverData, configOption,
        };
        server.SetHandler(env, async (ctx, ct) =>
        {
            var options = LoadOptions(env, ctx.Parse.GetValue(configOption));
            options = options with
            {
                Database = ctx.Parse.GetValue(databaseOption) ?? options.Database,
                Listen = ctx.Parse.GetValue(serverListen) ?? options.Listen,
                DataDirectory = ctx.Parse.GetValue(serverData) is { } d ? Path.GetFullPath(d) : options.DataDirectory,
            };
            return await RunServerAsync(ctx, options, options.DataDirectory, ct).ConfigureAwait(false);
        });
        root.Add(server);

        var tokenData = new Option<string?>("--data") { Description = "The data folder of a 'warden up' installation." };
        var tokenDatabase = new Option<string?>("--database") { Description = "Or the database (SQLite path or PostgreSQL connection string)." };
        var tokenUser = new Option<string?>("--user") { Description = "The site administrator to issue for (default: the first)." };
        var adminToken = new Command("admin-token", "Issue a new admin token directly in the database (for an operator who lost the first one).")
        {
            tokenData, tokenDatabase, tokenUser,
        };
        adminToken.SetHandler(env, async (ctx, ct) =>
        {
            var target = ctx.Parse.GetValue(tokenDatabase) is { } db
                ? DatabaseTarget.Parse(db)
                : DatabaseTarget.Sqlite(Path.Combine(Path.GetFullPath(ctx.Parse.GetValue(tokenData) ?? DefaultDataDirectory), "warden.db"));
            if (target.Dialect == SqlDialect.Sqlite && !File.Exists(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(target.ConnectionString).DataSource))
            {
                throw new CliException($"No Warden database at {target.Describe()}; start it once with 'warden up'.");
            }

            await using var connections = new ConnectionFactory(target);
            if (await new MigrationRunner(connections).GetVersionAsync(ct).ConfigureAwait(false) == 0)
            {
                throw new CliException($"{target.Describe()} holds no Warden data.");
            }

            var secret = await new Bootstrapper(connections, TimeProvider.System).IssueAdminTokenAsync(ctx.Parse.GetValue(tokenUser), ct).ConfigureAwait(false);
            ctx.Line($"Admin token: {secret}");
            return 0;
        });
        root.Add(adminToken);
    }

    /// <summary>Reads <c>appsettings.json</c> (working folder), an optional file, then <c>WARDEN__*</c> variables.</summary>
    public static WardenServerOptions LoadOptions(CliEnvironment env, string? configFile)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            throw new CliException($"Configuration file {configFile} does not exist.");
        }

        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables("WARDEN__");
        if (configFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        IConfiguration config;
        try
        {
            config = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new CliException($"Cannot read configuration: {e.Message}");
        }

        // Settings may sit at the root (environment: WARDEN__DATABASE) or under "Warden" (appsettings files).
        var options = new WardenServerOptions();
        try
        {
            config.Bind(options);
            config.GetSection(WardenServerOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException($"Invalid configuration: {e.Message}");
        }

        return options;
    }

    private static async Task<int> RunServerAsync(CliContext ctx, WardenServerOptions options, string? data, CancellationToken ct, bool localWorker = false, bool insecureNoSandbox = false)
    {
        await using var host = await WardenServerHost.CreateAsync(options, cancellationToken: ct).ConfigureAwait(false);
        try
        {
            await host.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException($"Cannot listen on {options.Listen}: {e.Message}");
        }

        ctx.Line($"Warden is running at {host.BaseAddress}");
        ctx.Line($"Database: {host.Database.Describe()}");
        if (host.AdminToken is { } token)
        {
            ctx.Line($"Admin token: {token}");
            ctx.Line("  This token is shown once. Use it with: warden login --server " + host.BaseAddress + " --token <token>");
        }
        else
        {
            var where = data is null ? "--database <same database>" : $"--data {data}";
            ctx.Line($"The admin token was printed at first start. To issue a new one: warden admin-token {where}");
        }

        await using var worker = localWorker ? await LocalWorker.StartAsync(ctx, host, options, data!, insecureNoSandbox, ct).ConfigureAwait(false) : null;
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ctx.Line("Stopping.");
        }

        return 0;
    }
}
