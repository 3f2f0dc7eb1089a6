using Microsoft.Extensions.DependencyInjection;
using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>Registers the Git components.</summary>
public static class GitServiceCollectionExtensions
{
    /// <summary>The connection and repository stores, and <see cref="GitProviders"/> (session credentials and pull requests).</summary>
    public static IServiceCollection AddWardenGit(this IServiceCollection services)
    {
        services.AddSingleton<GitConnectionStore>();
        services.AddSingleton<RepositoryStore>();
        services.AddSingleton(sp => new GitProviders(sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
