using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;

namespace Warden.Data.Gateway;

/// <summary>
/// The price catalogue per org: Warden's defaults (public list prices, per million tokens) overlaid with the org's
/// own entries, which is where negotiated prices and in-house models (often zero) go. Owners and admins edit it.
/// </summary>
public sealed class ModelPriceStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>
    /// Shipped defaults: public list prices in US dollars per million tokens (input, output, cached input) as
    /// published by the vendors. They are a starting point; an org's own entries win.
    /// </summary>
    public static IReadOnlyDictionary<string, (decimal Input, decimal Output, decimal Cached)> Defaults { get; } =
        new Dictionary<string, (decimal, decimal, decimal)>(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-4o"] = (2.50m, 10.00m, 1.25m),
            ["gpt-4o-mini"] = (0.15m, 0.60m, 0.075m),
            ["gpt-4.1"] = (2.00m, 8.00m, 0.50m),
            ["gpt-4.1-mini"] = (0.40m, 1.60m, 0.10m),
            ["o3"] = (2.00m, 8.00m, 0.50m),
            ["o4-mini"] = (1.10m, 4.40m, 0.275m),
            ["text-embedding-3-small"] = (0.02m, 0m, 0m),
            ["text-embedding-3-large"] = (0.13m, 0m, 0m),
            ["claude-sonnet-4-20250514"] = (3.00m, 15.00m, 0.30m),
            ["claude-opus-4-20250514"] = (15.00m, 75.00m, 1.50m),
            ["claude-3-5-haiku-20241022"] = (0.80m, 4.00m, 0.08m),
        };

    /// <summary>Raised after any change, with the org id.</summary>
    public event Action<string>? Changed;

    /// <summary>Sets the price of <paramref name="model"/> for the org.</summary>
    public async Task<ModelPrice> SetAsync(Actor actor, string org, string model, decimal input, decimal output, decimal? cached, CancellationToken cancellationToken = default)
    {
        model = GatewayNames.RequireName("model name", model);
        var cachedValue = cached ?? input;
        if (input < 0 || output < 0 || cachedValue < 0 || input > 100_000 || output > 100_000 || cachedValue > 100_000)
        {
            throw WardenException.Invalid("Prices are US dollars per million tokens, between 0 and 100000.");
        }

        var now = time.GetUtcNow();
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var args = new { orgId, model, i = ToMicros(input), o = ToMicros(output), c = ToMicros(cachedValue), by = actor.Name, at = Time.Ms(now) };
            var updated = await connection.ExecuteAsync(
                "UPDATE model_prices SET input_micros = @i, output_micros = @o, cached_micros = @c, updated_by = @by, updated_at = @at WHERE org_id = @orgId AND model = @model", args).ConfigureAwait(false);
            if (updated == 0)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO model_prices (org_id, model, input_micros, output_micros, cached_micros, updated_by, updated_at) VALUES (@orgId, @model, @i, @o, @c, @by, @at)", args).ConfigureAwait(false);
            }
        }

        Changed?.Invoke(orgId);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.price.set", "model_price", model, new Dictionary<string, string?>
        {
            ["input"] = input.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["output"] = output.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cachedInput"] = cachedValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), cancellationToken).ConfigureAwait(false);
        return new ModelPrice(model, input, output, cachedValue, false, actor.Name, now);
    }

    /// <summary>Removes the org's own price for a model (the default, if any, applies again).</summary>
    public async Task DeleteAsync(Actor actor, string org, string model, CancellationToken cancellationToken = default)
    {
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            if (await connection.ExecuteAsync("DELETE FROM model_prices WHERE org_id = @orgId AND model = @model", new { orgId, model }).ConfigureAwait(false) == 0)
            {
                throw WardenException.NotFound("Price for model", model);
            }
        }

        Changed?.Invoke(orgId);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.price.delete", "model_price", model), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The catalogue the org sees: defaults overlaid with its own entries, by model.</summary>
    public async Task<IReadOnlyList<ModelPrice>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await LoadAsync(access.OrgId, cancellationToken).ConfigureAwait(false)).Values.OrderBy(p => p.Model, StringComparer.Ordinal).ToList();
    }

    /// <summary>The org's effective catalogue, for the gateway's cache.</summary>
    public async Task<IReadOnlyDictionary<string, ModelPrice>> LoadAsync(string orgId, CancellationToken cancellationToken = default)
    {
        var result = Defaults.ToDictionary(d => d.Key, d => new ModelPrice(d.Key, d.Value.Input, d.Value.Output, d.Value.Cached, true, null, null), StringComparer.OrdinalIgnoreCase);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>("SELECT model, input_micros, output_micros, cached_micros, updated_by, updated_at FROM model_prices WHERE org_id = @orgId", new { orgId }).ConfigureAwait(false);
        foreach (var r in rows)
        {
            result[r.Model] = new ModelPrice(r.Model, r.InputMicros / 1_000_000m, r.OutputMicros / 1_000_000m, r.CachedMicros / 1_000_000m, false, r.UpdatedBy, Time.At(r.UpdatedAt));
        }

        return result;
    }

    private static long ToMicros(decimal dollars) => (long)Math.Round(dollars * 1_000_000m, MidpointRounding.AwayFromZero);

    private sealed class Row
    {
        public string Model { get; set; } = string.Empty;
        public long InputMicros { get; set; }
        public long OutputMicros { get; set; }
        public long CachedMicros { get; set; }
        public string UpdatedBy { get; set; } = string.Empty;
        public long UpdatedAt { get; set; }
    }
}
