using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Server.Api;
using Warden.Server.Auth;

namespace Warden.Server.Hosting;

/// <summary>One registration method per component, so the host stays short.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Storage: the connection factory, migrations and the identity stores.</summary>
    public static IServiceCollection AddWardenData(this IServiceCollection services, ConnectionFactory connections)
    {
        services.AddSingleton(connections);
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<OrgStore>();
        services.AddSingleton<TeamStore>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<WebSessionStore>();
        services.AddSingleton<Data.Policy.PolicyStore>();
        services.AddSingleton<Policy.PolicyDecisions>();
        return services;
    }

    /// <summary>The audit ledger: the one writer, the recorder the stores report to, and the query store.</summary>
    public static IServiceCollection AddWardenAudit(this IServiceCollection services, Audit.AuditLedger ledger)
    {
        services.AddSingleton(ledger);
        services.AddSingleton<Data.Audit.IAuditRecorder>(ledger);
        services.AddSingleton<Data.Audit.AuditQueryStore>();
        services.AddSingleton<Data.Audit.AuditIngestKeyStore>();
        services.AddSingleton<Data.Audit.AuditExportCursorStore>();
        services.TryAddSingleton<Data.LeaseStore>();
        services.AddHostedService<Audit.AuditExportService>();
        services.AddSingleton<Data.Audit.AuditRetentionStore>();
        services.AddSingleton<Data.Audit.AuditImportIds>();
        services.AddSingleton<Audit.AuditRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<Audit.AuditRetentionService>());
        return services;
    }

    /// <summary>The model gateway: its stores, in-memory state and the background usage writer.</summary>
    public static IServiceCollection AddWardenGateway(this IServiceCollection services)
    {
        services.AddSingleton<Data.Gateway.ModelProviderStore>();
        services.AddSingleton<Data.Gateway.ModelRouteStore>();
        services.AddSingleton<Data.Gateway.ModelPriceStore>();
        services.AddSingleton<Data.Gateway.VirtualKeyStore>();
        services.AddSingleton<Data.Gateway.ModelUsageStore>();
        services.AddSingleton<Gateway.GatewayCatalog>();
        services.AddSingleton<Gateway.VirtualKeyCache>();
        services.AddSingleton<Gateway.BudgetTracker>();
        services.AddSingleton<Gateway.KeyLimiter>();
        services.AddSingleton<Gateway.TargetHealth>();
        services.AddSingleton<Gateway.UsageRecorder>();
        services.AddSingleton<Gateway.ModelInvokeAuthorizer>();
        services.AddSingleton<Gateway.ModelGateway>();
        services.AddHostedService(sp => sp.GetRequiredService<Gateway.UsageRecorder>());
        return services;
    }

    /// <summary>Agent sessions: their store, policy questions, the model client, live updates and the runner.</summary>
    public static IServiceCollection AddWardenSessions(this IServiceCollection services, WardenServerOptions options)
    {
        services.AddSingleton<Data.Sessions.AgentSessionStore>();
        services.AddSingleton(options.Sessions);
        services.AddSingleton<Sessions.SessionPolicy>();
        services.AddSingleton<Sessions.ISessionRepositories, Sessions.RegisteredRepositories>();
        services.AddSingleton<Sessions.AgentModelClient>();
        services.AddSingleton<Sessions.SessionLive>();
        services.AddSingleton<Sessions.SessionRunner>();
        services.AddSingleton<Sessions.SessionService>();
        services.AddHostedService(sp => sp.GetRequiredService<Sessions.SessionRunner>());
        return services;
    }

    /// <summary>Authentication (tokens and web sessions), authorisation and sign-in.</summary>
    public static IServiceCollection AddWardenAuth(this IServiceCollection services)
    {
        services.AddAuthentication(WardenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, WardenAuthenticationHandler>(WardenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<SignInService>();
        return services;
    }

    /// <summary>JSON, problem documents and the OpenAPI document.</summary>
    public static IServiceCollection AddWardenApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, WardenJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, SessionJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        // Binding failures (bad JSON, missing body) throw so ProblemExceptionHandler can say what was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddProblemDetails();
        services.AddOpenApi();
        return services;
    }

    /// <summary>The server-rendered web UI and the antiforgery keys it needs.</summary>
    public static IServiceCollection AddWardenUi(this IServiceCollection services, WardenServerOptions options)
    {
        var protection = services.AddDataProtection().SetApplicationName("warden");
        if (options.DataDirectory is { } dir)
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dir, "keys")));
        }

        // Keys are encrypted under the master key like every other secret Warden keeps.
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>, Auth.SecretBoxXmlEncryptor.Setup>();

        services.AddRazorComponents();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "warden_csrf";
            o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
        });
        return services;
    }
}
