using System.CommandLine;
using System.Globalization;
using Warden.Client.Contracts;

namespace Warden.Cli.Commands;

/// <summary>
/// <c>warden model provider|route|price|usage|calls</c> and <c>warden key create|list|show|revoke</c>: the model
/// gateway's configuration, virtual keys and usage, all through the REST API.
/// </summary>
public static class ModelCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    /// <summary>Adds <c>model</c> and <c>key</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var model = new Command("model", "The model gateway: providers, routes (model aliases), prices, usage.");
        model.Add(Providers(env));
        model.Add(Routes(env));
        model.Add(Prices(env));
        model.Add(Usage(env));
        model.Add(Calls(env));
        root.Add(model);
        root.Add(Keys(env));
    }

    private static Command Providers(CliEnvironment env)
    {
        var provider = new Command("provider", "Where models are served: OpenAI-compatible servers, OpenAI, Azure OpenAI, Anthropic, Bedrock.");
        var name = new Argument<string>("NAME") { Description = "Provider name, e.g. vllm or anthropic." };
        var kind = new Option<string>("--kind") { Description = "openai-compatible, openai, azure-openai, anthropic or bedrock.", Required = true };
        var baseUrl = new Option<string>("--base-url") { Description = "Base URL, e.g. http://vllm:8000/v1/ or https://api.anthropic.com/.", Required = true };
        var apiVersion = new Option<string?>("--api-version") { Description = "Azure api-version or Anthropic anthropic-version." };
        var region = new Option<string?>("--region") { Description = "Bedrock signing region." };
        var credentialEnv = new Option<string?>("--credential-env") { Description = "Read the API key from this environment variable (keeps it out of the command line)." };
        var credentialFile = new Option<string?>("--credential-file") { Description = "Read the API key from this file." };
        var set = new Command("set", "Add a provider or replace its settings; the credential is stored encrypted and never shown again.")
            { name, kind, baseUrl, apiVersion, region, credentialEnv, credentialFile };
        set.SetHandler(env, async (ctx, ct) =>
        {
            string? credential = null;
            if (ctx.Parse.GetValue(credentialEnv) is { } variable)
            {
                credential = env.Variable(variable) ?? throw new CliException($"Environment variable {variable} is not set.");
            }
            else if (ctx.Parse.GetValue(credentialFile) is { } file)
            {
                credential = File.Exists(file) ? (await File.ReadAllTextAsync(file, ct).ConfigureAwait(false)).Trim() : throw new CliException($"{file} does not exist.");
            }

            using var client = ctx.CreateClient();
            var saved = await client.PutModelProviderAsync(ctx.RequireOrg(), ctx.Parse.GetValue(name)!,
                new PutModelProviderRequest(ctx.Parse.GetValue(kind)!, ctx.Parse.GetValue(baseUrl)!, ctx.Parse.GetValue(apiVersion), ctx.Parse.GetValue(region), credential), ct).ConfigureAwait(false);
            WriteProviders(ctx, [saved]);
            return 0;
        });
        provider.Add(set);

        var list = new Command("list", "List providers.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteProviders(ctx, await client.ListModelProvidersAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        provider.Add(list);

        var removeName = new Argument<string>("NAME") { Description = "Provider name." };
        var remove = new Command("remove", "Delete a provider no route uses.") { removeName };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteModelProviderAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeName)!, ct).ConfigureAwait(false);
            ctx.Line($"Deleted provider {ctx.Parse.GetValue(removeName)}.");
            return 0;
        });
        provider.Add(remove);
        return provider;

        static void WriteProviders(CliContext ctx, IReadOnlyList<ModelProviderDto> providers)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(providers, Json.IReadOnlyListModelProviderDto);
                return;
            }

            ctx.WriteTable(["Name", "Kind", "Base URL", "Version/region", "Credential", "Updated"],
                providers.Select(p => (IReadOnlyList<string?>)[p.Name, p.Kind, p.BaseUrl, p.ApiVersion ?? p.Region, p.HasCredential ? "set" : "none", Date(p.UpdatedAt)]));
        }
    }

    private static Command Routes(CliEnvironment env)
    {
        var route = new Command("route", "Model aliases clients ask for, and where their requests go.");
        var name = new Argument<string>("ALIAS") { Description = "The model name clients use, e.g. coder or gpt-4o." };
        var targets = new Option<string[]>("--target") { Description = "PROVIDER:MODEL[@WEIGHT]; repeat for weighted targets.", Required = true, AllowMultipleArgumentsPerToken = false };
        var fallbacks = new Option<string[]>("--fallback") { Description = "PROVIDER:MODEL tried in order when the targets fail; repeatable.", AllowMultipleArgumentsPerToken = false };
        var timeout = new Option<int?>("--timeout-ms") { Description = "Per-attempt timeout until the response starts (default 120000)." };
        var retries = new Option<int?>("--retries") { Description = "Retries per target on errors, timeouts and rate limits, with back-off (default 1)." };
        var set = new Command("set", "Create or replace a route.") { name, targets, fallbacks, timeout, retries };
        set.SetHandler(env, async (ctx, ct) =>
        {
            var request = new PutModelRouteRequest(
                (ctx.Parse.GetValue(targets) ?? []).Select(ParseTarget).ToList(),
                (ctx.Parse.GetValue(fallbacks) ?? []).Select(ParseTarget).ToList(),
                ctx.Parse.GetValue(timeout), ctx.Parse.GetValue(retries));
            using var client = ctx.CreateClient();
            WriteRoutes(ctx, [await client.PutModelRouteAsync(ctx.RequireOrg(), ctx.Parse.GetValue(name)!, request, ct).ConfigureAwait(false)]);
            return 0;
        });
        route.Add(set);

        var list = new Command("list", "List routes with the health of their targets.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteRoutes(ctx, await client.ListModelRoutesAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        route.Add(list);

        var removeName = new Argument<string>("ALIAS") { Description = "Route name." };
        var remove = new Command("remove", "Delete a route.") { removeName };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteModelRouteAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeName)!, ct).ConfigureAwait(false);
            ctx.Line($"Deleted route {ctx.Parse.GetValue(removeName)}.");
            return 0;
        });
        route.Add(remove);
        return route;

        static void WriteRoutes(CliContext ctx, IReadOnlyList<ModelRouteDto> routes)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(routes, Json.IReadOnlyListModelRouteDto);
                return;
            }

            ctx.WriteTable(["Alias", "Targets", "Fallbacks", "Timeout", "Retries", "Health"], routes.Select(r => (IReadOnlyList<string?>)
            [
                r.Name,
                string.Join(", ", r.Targets.Select(t => $"{t.Provider}:{t.Model}" + (r.Targets.Count > 1 ? $"@{t.Weight}" : string.Empty))),
                string.Join(", ", r.Fallbacks.Select(t => $"{t.Provider}:{t.Model}")),
                $"{r.TimeoutMs} ms",
                r.Retries.ToString(CultureInfo.InvariantCulture),
                r.Health is null ? "—" : string.Join(", ", r.Health.Where(h => h.State != "healthy").Select(h => $"{h.Provider}:{h.Model} {h.State}").DefaultIfEmpty("healthy")),
            ]));
        }
    }

    private static Command Prices(CliEnvironment env)
    {
        var price = new Command("price", "The price catalogue (US dollars per million tokens).");
        var model = new Argument<string>("MODEL") { Description = "The provider's model name." };
        var input = new Option<decimal>("--input") { Description = "Input price per million tokens.", Required = true };
        var output = new Option<decimal>("--output") { Description = "Output price per million tokens.", Required = true };
        var cached = new Option<decimal?>("--cached") { Description = "Cached-input price per million tokens (default: the input price)." };
        var set = new Command("set", "Set the org's price for a model.") { model, input, output, cached };
        set.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var saved = await client.SetModelPriceAsync(ctx.RequireOrg(), new PutModelPriceRequest(ctx.Parse.GetValue(model)!, ctx.Parse.GetValue(input), ctx.Parse.GetValue(output), ctx.Parse.GetValue(cached)), ct).ConfigureAwait(false);
            WritePrices(ctx, [saved]);
            return 0;
        });
        price.Add(set);

        var list = new Command("list", "The effective catalogue: Warden's defaults and the org's own prices.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WritePrices(ctx, await client.ListModelPricesAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        price.Add(list);

        var removeModel = new Argument<string>("MODEL") { Description = "Model name." };
        var remove = new Command("remove", "Remove the org's own price (the default applies again).") { removeModel };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteModelPriceAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeModel)!, ct).ConfigureAwait(false);
            ctx.Line($"Removed the org's price for {ctx.Parse.GetValue(removeModel)}.");
            return 0;
        });
        price.Add(remove);
        return price;

        static void WritePrices(CliContext ctx, IReadOnlyList<ModelPriceDto> prices)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(prices, Json.IReadOnlyListModelPriceDto);
                return;
            }

            ctx.WriteTable(["Model", "Input $/Mtok", "Output $/Mtok", "Cached $/Mtok", "Source"],
                prices.Select(p => (IReadOnlyList<string?>)[p.Model, Money(p.InputPerMTok), Money(p.OutputPerMTok), Money(p.CachedInputPerMTok), p.IsDefault ? "default" : "org"]));
        }
    }

    private static Command Usage(CliEnvironment env)
    {
        var by = new Option<string>("--by") { Description = "Group by key, team, user, model, route or client.", DefaultValueFactory = _ => "key" };
        var days = new Option<int>("--days") { Description = "Look back this many days.", DefaultValueFactory = _ => 30 };
        var command = new Command("usage", "Requests, tokens and cost over a period.") { by, days };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var from = DateTimeOffset.UtcNow.AddDays(-Math.Max(1, ctx.Parse.GetValue(days)));
            var totals = await client.GetModelUsageAsync(ctx.RequireOrg(), ctx.Parse.GetValue(by)!, from, null, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(totals, Json.IReadOnlyListUsageTotalDto);
                return 0;
            }

            ctx.WriteTable([Title(ctx.Parse.GetValue(by)!), "Requests", "Errors", "Input tokens", "Output tokens", "Cost (USD)"], totals.Select(t => (IReadOnlyList<string?>)
                [t.Label ?? t.Group, N(t.Requests), N(t.Errors), N(t.InputTokens), N(t.OutputTokens), Money(t.CostUsd)]));
            return 0;
        });
        return command;
    }

    private static Command Calls(CliEnvironment env)
    {
        var key = new Option<string?>("--key") { Description = "Only this key's calls (key id)." };
        var limit = new Option<int>("--limit") { Description = "How many.", DefaultValueFactory = _ => 20 };
        var command = new Command("calls", "Recent gateway calls, newest first.") { key, limit };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var calls = await client.ListModelCallsAsync(ctx.RequireOrg(), ctx.Parse.GetValue(key), ctx.Parse.GetValue(limit), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(calls, Json.IReadOnlyListModelCallDto);
                return 0;
            }

            ctx.WriteTable(["Time", "Route", "Provider:model", "Client", "Status", "In", "Out", "Cost", "Latency"], calls.Select(c => (IReadOnlyList<string?>)
                [Date(c.At), c.Route, c.Provider is null ? "—" : $"{c.Provider}:{c.Model}", c.Client, $"{c.Status} {c.Outcome}", N(c.InputTokens), N(c.OutputTokens), Money(c.CostUsd), $"{c.LatencyMs} ms"]));
            return 0;
        });
        return command;
    }

    private static Command Keys(CliEnvironment env)
    {
        var keys = new Command("key", "Virtual keys for the model gateway (what tools use instead of provider keys).");
        var name = new Argument<string>("NAME") { Description = "What the key is for." };
        var ownerKind = new Option<string?>("--owner-kind") { Description = "user (default), team or service." };
        var owner = new Option<string?>("--owner") { Description = "The user, team or service name (default: you)." };
        var models = new Option<string?>("--models") { Description = "Comma-separated model aliases the key may use (default: all)." };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute." };
        var tpm = new Option<int?>("--tpm") { Description = "Tokens per minute." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Requests in flight at once." };
        var budget = new Option<decimal?>("--budget") { Description = "Budget in US dollars; calls stop when it is spent." };
        var period = new Option<string?>("--budget-period") { Description = "total (default) or monthly." };
        var capture = new Option<bool>("--capture") { Description = "Keep prompts and responses (encrypted) for --capture-days." };
        var captureDays = new Option<int?>("--capture-days") { Description = "Retention of captures in days (default 30)." };
        var inspection = new Option<string?>("--inspection") { Description = "Secret/PII detection on prompts: off, monitor (default), redact or block." };
        var expires = new Option<int?>("--expires-in-days") { Description = "Lifetime in days (default: no expiry)." };
        var create = new Command("create", "Create a key; its secret is shown once.")
            { name, ownerKind, owner, models, rpm, tpm, concurrency, budget, period, capture, captureDays, inspection, expires };
        create.SetHandler(env, async (ctx, ct) =>
        {
            var allowed = ctx.Parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            var request = new CreateVirtualKeyRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(ownerKind), ctx.Parse.GetValue(owner), allowed,
                ctx.Parse.GetValue(rpm), ctx.Parse.GetValue(tpm), ctx.Parse.GetValue(concurrency), ctx.Parse.GetValue(budget), ctx.Parse.GetValue(period),
                ctx.Parse.GetValue(capture), ctx.Parse.GetValue(captureDays), ctx.Parse.GetValue(inspection),
                ctx.Parse.GetValue(expires) is { } d ? DateTimeOffset.UtcNow.AddDays(d) : null);
            using var client = ctx.CreateClient();
            var created = await client.CreateVirtualKeyAsync(ctx.RequireOrg(), request, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(created, Json.CreatedVirtualKeyDto);
                return 0;
            }

            ctx.Line($"Created virtual key {created.Key.Id}. Point tools at {client.Server}v1 with this key (Authorization: Bearer or x-api-key); it is not shown again:");
            ctx.Line(created.Secret);
            return 0;
        });
        keys.Add(create);

        var list = new Command("list", "List keys (all of the org's for owners, admins and auditors; your own otherwise).");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteKeys(ctx, await client.ListVirtualKeysAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        keys.Add(list);

        var showKey = new Argument<string>("KEY") { Description = "Key id or name." };
        var show = new Command("show", "One key, with what it has spent.") { showKey };
        show.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteKeys(ctx, [await client.GetVirtualKeyAsync(ctx.RequireOrg(), ctx.Parse.GetValue(showKey)!, ct).ConfigureAwait(false)]);
            return 0;
        });
        keys.Add(show);

        var revokeKey = new Argument<string>("KEY") { Description = "Key id or name." };
        var revoke = new Command("revoke", "Revoke a key; requests with it fail at once.") { revokeKey };
        revoke.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var revoked = await client.RevokeVirtualKeyAsync(ctx.RequireOrg(), ctx.Parse.GetValue(revokeKey)!, ct).ConfigureAwait(false);
            ctx.Line($"Revoked key {revoked.Id} ({revoked.Name}).");
            return 0;
        });
        keys.Add(revoke);
        return keys;

        static void WriteKeys(CliContext ctx, IReadOnlyList<VirtualKeyDto> keys)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(keys, Json.IReadOnlyListVirtualKeyDto);
                return;
            }

            ctx.WriteTable(["Id", "Name", "Prefix", "Owner", "Models", "Limits", "Budget", "State", "Last used"], keys.Select(k => (IReadOnlyList<string?>)
            [
                k.Id, k.Name, k.Prefix + "…", $"{k.OwnerKind}:{k.OwnerName}", k.AllowedModels.Count == 0 ? "all" : string.Join(",", k.AllowedModels),
                string.Join(" ", new[] { k.Rpm is { } r ? $"{r} rpm" : null, k.Tpm is { } t ? $"{t} tpm" : null, k.MaxConcurrency is { } c ? $"{c} conc" : null }.Where(x => x is not null)
                    .DefaultIfEmpty("—")),
                k.BudgetUsd is { } b ? $"{(k.SpentUsd is { } s ? Money(s) + " / " : string.Empty)}{Money(b)} {k.BudgetPeriod}" : "—",
                k.RevokedAt is not null ? "revoked" : k.ExpiresAt is { } e && e <= DateTimeOffset.UtcNow ? "expired" : "active",
                k.LastUsedAt is { } u ? Date(u) : "—",
            ]));
        }
    }

    private static RouteTargetDto ParseTarget(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new CliException($"Invalid target '{value}': use PROVIDER:MODEL[@WEIGHT].");
        }

        var model = value[(colon + 1)..];
        var weight = 1;
        var at = model.LastIndexOf('@');
        if (at >= 0)
        {
            if (!int.TryParse(model[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out weight))
            {
                throw new CliException($"Invalid weight in '{value}': use a whole number after '@'.");
            }

            model = model[..at];
        }

        return new RouteTargetDto(value[..colon], model, weight);
    }

    private static string Title(string group) => group.Length == 0 ? group : char.ToUpperInvariant(group[0]) + group[1..];

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Money(decimal value) => "$" + value.ToString("0.00####", CultureInfo.InvariantCulture);

    private static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
