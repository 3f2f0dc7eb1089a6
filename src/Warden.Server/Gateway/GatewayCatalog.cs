using System.Collections.Concurrent;
using Warden.Data.Gateway;

namespace Warden.Server.Gateway;

/// <summary>
/// What the gateway needs per org (providers with credentials, routes, prices), held in memory so that a request
/// touches no database. Changes made through this replica drop the entry at once; changes made through another
/// replica are picked up within <see cref="MaxAge"/>.
/// </summary>
public sealed class GatewayCatalog
{
    /// <summary>How long a snapshot is used before it is reloaded.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly ModelProviderStore _providers;
    private readonly ModelRouteStore _routes;
    private readonly ModelPriceStore _prices;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Task<Snapshot>> _snapshots = new(StringComparer.Ordinal);

    /// <summary>Creates the catalogue and subscribes to the stores' change notifications.</summary>
    public GatewayCatalog(ModelProviderStore providers, ModelRouteStore routes, ModelPriceStore prices, TimeProvider time)
    {
        _providers = providers;
        _routes = routes;
        _prices = prices;
        _time = time;
        providers.Changed += Invalidate;
        routes.Changed += Invalidate;
        prices.Changed += Invalidate;
    }

    /// <summary>One org's gateway configuration at a point in time.</summary>
    public sealed record Snapshot(
        IReadOnlyDictionary<string, ResolvedProvider> Providers,
        IReadOnlyDictionary<string, ModelRoute> Routes,
        IReadOnlyDictionary<string, ModelPrice> Prices,
        DateTimeOffset LoadedAt);

    /// <summary>The org's current snapshot.</summary>
    public async ValueTask<Snapshot> GetAsync(string orgId, CancellationToken cancellationToken)
    {
        // A racing first load may start twice; both results are equivalent and one wins.
        var task = _snapshots.GetOrAdd(orgId, LoadAsync);
        if (task.IsCompletedSuccessfully)
        {
            var snapshot = await task.ConfigureAwait(false);
            if (_time.GetUtcNow() - snapshot.LoadedAt < MaxAge)
            {
                return snapshot;
            }
        }

        if (task.IsCompleted)
        {
            // Stale or failed: replace it (only one caller wins the swap; the others use the winner's load).
            var fresh = LoadAsync(orgId);
            task = _snapshots.TryUpdate(orgId, fresh, task) ? fresh : _snapshots.GetOrAdd(orgId, fresh);
        }

        return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the org's snapshot.</summary>
    public void Invalidate(string orgId) => _snapshots.TryRemove(orgId, out _);

    private async Task<Snapshot> LoadAsync(string orgId)
    {
        var providers = await _providers.LoadResolvedAsync(orgId, CancellationToken.None).ConfigureAwait(false);
        var routes = await _routes.LoadAsync(orgId, CancellationToken.None).ConfigureAwait(false);
        var prices = await _prices.LoadAsync(orgId, CancellationToken.None).ConfigureAwait(false);
        return new Snapshot(
            providers.ToDictionary(p => p.Name, StringComparer.Ordinal),
            routes.ToDictionary(r => r.Name, StringComparer.Ordinal),
            prices,
            _time.GetUtcNow());
    }
}
