using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Data.Security;
using Warden.Data.Audit;
using Warden.Server.Api;
using Warden.Server.Audit;
using Warden.Server.Policy;
using Warden.Server.Auth;
using Warden.Server.Components;
using Warden.Server.Gateway;
using Warden.Server.Git;
using Warden.Server.Sessions;
using Warden.Server.Workers;

namespace Warden.Server.Hosting;

/// <summary>
/// The control plane as an object: validates options, prepares the database (migrations, first-start setup) and
/// builds the ASP.NET Core application. <c>warden up</c>, <c>warden server</c> and the integration tests all start
/// the server through this one path.
/// </summary>
public sealed class WardenServerHost : IAsyncDisposable
{
    private readonly AuditLedger _ledger;

    private WardenServerHost(WebApplication app, string? adminToken, DatabaseTarget database, AuditLedger ledger)
    {
        _ledger = ledger;
        App = app;
        AdminToken = adminToken;
        Database = database;
    }

    /// <summary>The web application (not yet started).</summary>
    public WebApplication App { get; }

    /// <summary>The admin token minted on first start; null on every later start.</summary>
    public string? AdminToken { get; }

    /// <summary>The database in use.</summary>
    public DatabaseTarget Database { get; }

    /// <summary>The address the server listens on, once started.</summary>
    public Uri BaseAddress
    {
        get
        {
            var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal) + "/");
        }
    }

    /// <summary>
    /// Validates <paramref name="options"/>, migrates the database and runs first-start setup, then builds the app.
    /// Throws <see cref="OptionsValidationException"/> listing every configuration problem, or
    /// <see cref="SchemaTooNewException"/> when the database belongs to a newer Warden.
    /// </summary>
    public static async Task<WardenServerHost> CreateAsync(
        WardenServerOptions options,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        var errors = options.Validate().ToList();
        byte[]? masterKey = null;
        if (errors.Count == 0)
        {
            try
            {
                if (options.DataDirectory is { } dir)
                {
                    MasterKey.CreatePrivateDirectory(dir);
                }

                masterKey = MasterKey.Load(options.MasterKey ?? Environment.GetEnvironmentVariable(MasterKey.EnvironmentVariable), options.DataDirectory);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
            {
                errors.Add(e.Message);
            }
        }

        DatabaseTarget? database = null;
        try
        {
            database = string.IsNullOrWhiteSpace(options.Database)
                ? (options.DataDirectory is null ? null : DatabaseTarget.Sqlite(Path.Combine(options.DataDirectory, "warden.db")))
                : DatabaseTarget.Parse(options.Database);
        }
        catch (ArgumentException e)
        {
            errors.Add($"The database setting is not valid: {e.Message}");
        }

        if (errors.Count > 0 || database is null || masterKey is null)
        {
            throw new OptionsValidationException(errors);
        }

        time ??= TimeProvider.System;
        var connections = new ConnectionFactory(database);
        var secrets = new SecretBox(masterKey);
        string? adminToken;
        AuditLedger ledger;
        try
        {
            await new MigrationRunner(connections).MigrateAsync(cancellationToken).ConfigureAwait(false);
            adminToken = await new Bootstrapper(connections, time).EnsureAsync(options.BootstrapOrg, options.BootstrapAdmin, cancellationToken).ConfigureAwait(false);
            ledger = await AuditLedger.StartAsync(connections, secrets, time, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (adminToken is not null)
            {
                await ledger.RecordAsync(AuditDrafts.For(Actor.System("bootstrap"), AuditDrafts.SiteOrg, "system.bootstrap", "org", options.BootstrapOrg,
                    new Dictionary<string, string?> { ["admin"] = options.BootstrapAdmin }), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await connections.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var app = Build(options, connections, secrets, ledger, time, logging);
        return new WardenServerHost(app, adminToken, database, ledger);
    }

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => App.StartAsync(cancellationToken);

    /// <summary>Runs until shutdown is requested (Ctrl+C, SIGTERM).</summary>
    public Task RunAsync(CancellationToken cancellationToken = default) => App.RunAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Already stopping.
        }

        await App.DisposeAsync().ConfigureAwait(false);
        // After the app: requests that were still finishing may have audit events to write.
        await _ledger.DisposeAsync().ConfigureAwait(false);
    }

    private static WebApplication Build(WardenServerOptions options, ConnectionFactory connections, SecretBox secrets, AuditLedger ledger, TimeProvider time, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(WardenServerHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            WardenServerOptions.TryParseListen(options.Listen, out var endpoint);
            kestrel.Listen(endpoint);
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The CLI prints its own start-up banner; the host's lifetime chatter would only repeat it.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(secrets);
        builder.Services.AddWardenData(connections);
        builder.Services.AddWardenAudit(ledger);
        builder.Services.AddWardenGateway();
        builder.Services.AddWardenAuth();
        builder.Services.AddWardenApi();
        builder.Services.AddWardenUi(options);
        builder.Services.AddWardenWorkers();
        builder.Services.AddWardenGit();
        builder.Services.AddWardenSessions(options);
        builder.Services.AddSingleton<NativeMemoryTrimmer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NativeMemoryTrimmer>());

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = null, SuppressDiagnosticsCallback = _ => true });
        app.UseStatusCodePages(async context =>
        {
            // Unmatched API routes and 405s become problem documents too; pages keep the plain status.
            var http = context.HttpContext;
            if (WardenAuthenticationHandler.IsApi(http.Request.Path) && http.Response.ContentLength is null && http.Response.ContentType is null)
            {
                var status = http.Response.StatusCode;
                await Problems.WriteAsync(http, status, Problems.TypeForStatus(status),
                    ReasonPhrases.GetReasonPhrase(status), status == 404 ? $"No API endpoint at {http.Request.Path}." : null).ConfigureAwait(false);
            }
        });
        app.UseWebSockets();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealth();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        var api = app.MapGroup("/api/v1");
        api.MapAuthApi();
        var authed = api.MapGroup(string.Empty).RequireAuthorization();
        authed.MapIdentityApi();
        authed.MapAuditApi();
        authed.MapAuditIngestApi();
        authed.MapPolicyApi();
        authed.MapGatewayAdminApi();
        authed.MapWorkerApi();
        authed.MapGitApi();
        authed.MapSessionApi();
        api.MapWorkerConnect();
        api.MapGet("/audit/keys", AuditEndpoints.ListKeysAsync).AllowAnonymous().WithTags("Audit").WithName("ListAuditKeys");
        app.MapOtlpLogsReceiver();
        app.MapModelGateway();
        app.MapWardenUi();
        return app;
    }
}
