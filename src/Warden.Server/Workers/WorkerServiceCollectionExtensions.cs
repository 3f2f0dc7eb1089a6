using Microsoft.Extensions.DependencyInjection;
using Warden.Data.Workers;

namespace Warden.Server.Workers;

/// <summary>Registers the worker components.</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>Stores, the hub (also the <see cref="IWorkerDispatcher"/>), the gateway and the monitor.</summary>
    public static IServiceCollection AddWardenWorkers(this IServiceCollection services)
    {
        services.AddSingleton<WorkerPoolStore>();
        services.AddSingleton<WorkerStore>();
        services.AddSingleton<EgressAuthorizer>();
        services.AddSingleton<WorkerHub>();
        services.AddSingleton<IWorkerDispatcher>(sp => sp.GetRequiredService<WorkerHub>());
        services.AddSingleton<WorkerGateway>();
        services.AddHostedService<WorkerMonitor>();
        return services;
    }
}
