using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Warden.Client.Contracts;
using Warden.ScriptedModel;
using Warden.Server.Gateway;

namespace Warden.IntegrationTests;

/// <summary>
/// The model gateway's pages in Chromium: providers and routes, virtual keys, usage and prices, for an admin and for
/// a member, against a real server and a scripted upstream model.
/// </summary>
public sealed class GatewayPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Credential = "sk-page-upstream-credential-0123456789";

    [Fact]
    public async Task Admin_AddsProviderRouteKeyAndPrice_SeesTheCallAndItsCost_AndRevokesTheKey()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        await using var upstream = await ScriptedModelServer.StartAsync(new ScriptedModelOptions
        {
            DefaultTurn = ScriptedTurn.Reply("ok") with { InputTokens = 1000, OutputTokens = 500 },
            RequiredApiKey = Credential,
        });
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);

        // Providers: the credential goes in, and comes back out nowhere on the page.
        await page.GetByRole(AriaRole.Link, new() { Name = "Models", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/o/default/models");
        await page.GetByTestId("provider-name").FillAsync("scripted");
        await page.GetByTestId("provider-url").FillAsync(upstream.OpenAIEndpoint.ToString());
        await page.GetByTestId("provider-credential").FillAsync(Credential);
        await page.GetByTestId("provider-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("models-saved"), "Provider scripted saved");
        var providers = await page.GetByTestId("providers").InnerTextAsync();
        providers.ShouldContain("scripted");
        providers.ShouldContain("openai-compatible");
        providers.ShouldContain("set");
        (await page.ContentAsync()).ShouldNotContain(Credential);
        (await page.GetByTestId("provider-credential").InputValueAsync()).ShouldBeEmpty();

        await page.GetByTestId("route-name").FillAsync("chat");
        await page.GetByTestId("route-targets").FillAsync("scripted:scripted-gpt");
        await page.GetByTestId("route-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("models-saved"), "Route chat saved");
        var routes = await page.GetByTestId("routes").InnerTextAsync();
        routes.ShouldContain("scripted:scripted-gpt");
        routes.ShouldContain("healthy");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-models.png"), FullPage = true });

        // A price for the upstream model, so the call's cost is known: 1000 in at $3/MTok + 500 out at $6/MTok = $0.006.
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage and prices" }).ClickAsync();
        await page.GetByTestId("price-model").FillAsync("scripted-gpt");
        await page.GetByTestId("price-input").FillAsync("3");
        await page.GetByTestId("price-output").FillAsync("6");
        await page.GetByTestId("price-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("prices").Locator("tr", new() { HasText = "scripted-gpt" }), "$3.00");

        // A key with a budget and capture; its secret is on this one page and works against the gateway.
        await page.GetByRole(AriaRole.Link, new() { Name = "Keys", Exact = true }).ClickAsync();
        await page.GetByTestId("key-name").FillAsync("page-key");
        await page.GetByTestId("key-budget").FillAsync("1");
        await page.GetByTestId("key-capture").CheckAsync();
        await page.GetByTestId("key-create").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("keys"), "page-key");
        var secret = (await page.GetByTestId("new-key").InnerTextAsync()).Trim();
        secret.ShouldStartWith("wvk_");
        (await page.GetByTestId("gateway-url").InnerTextAsync()).ShouldBe(server.BaseAddress.ToString() + "v1");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("keys"), "page-key");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-model-key-created.png"), FullPage = true });

        using var gateway = server.Http(secret);
        var reply = await gateway.PostAsJsonAsync("v1/chat/completions", new { model = "chat", messages = new[] { new { role = "user", content = "hello from the page test" } } });
        reply.StatusCode.ShouldBe(HttpStatusCode.OK, await reply.Content.ReadAsStringAsync());
        // The call is recorded just after its response is sent: wait until it is listed.
        using var admin = server.Client();
        await AuditIngest.Eventually.HoldsAsync(async () => (await admin.ListModelCallsAsync("default")).Count >= 1, "the call is recorded", seconds: 15);

        // Usage: the call, its tokens and cost, grouped by key and then by model, and its captured prompt.
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage and prices" }).ClickAsync();
        var call = await page.GetByTestId("usage-calls").Locator("tbody tr").First.InnerTextAsync();
        call.ShouldContain("page-key");
        call.ShouldContain("chat");
        call.ShouldContain("scripted:scripted-gpt");
        call.ShouldContain("200 success");
        call.ShouldContain("1,000 / 500");
        call.ShouldContain("$0.006");
        var totals = await page.GetByTestId("usage-totals").InnerTextAsync();
        totals.ShouldContain("page-key");
        totals.ShouldContain("$0.006");
        await page.GetByTestId("usage-group").SelectOptionAsync("model");
        await page.GetByTestId("usage-days").SelectOptionAsync("1");
        await page.GetByTestId("usage-show").ClickAsync();
        await page.WaitForURLAsync("**/models/usage?group=model&days=1");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("usage-totals"), "scripted-gpt");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-model-usage.png"), FullPage = true });

        var missing = await page.GotoAsync("o/default/models/usage/mu_nothing_here");
        missing!.Status.ShouldBe(404);
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Capture 'mu_nothing_here' was not found");
        await page.GoBackAsync();
        await page.GetByTestId("capture-link").First.ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("capture-request"), "hello from the page test");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("capture-response"), "ok");

        // Keys: the budget shows what was spent; the secret is not shown again; revoking stops the gateway at once.
        await page.GotoAsync("o/default/models/keys");
        await BrowserSupport.ExpectTextAsync(page.Locator("tr[data-key=page-key]"), "$0.006 / $1.00 total");
        (await page.ContentAsync()).ShouldNotContain(secret);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-model-keys.png"), FullPage = true });
        await page.GetByTestId("key-revoke").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator("tr[data-key=page-key]"), "revoked");
        var refused = await gateway.PostAsJsonAsync("v1/chat/completions", new { model = "chat", messages = new[] { new { role = "user", content = "again" } } });
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // The pages also answer under /orgs/, the API's spelling.
        await page.GotoAsync("orgs/default/models");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("routes"), "chat");
        (await page.ContentAsync()).ShouldNotContain(Credential);
    }

    [Fact]
    public async Task Member_SeesReadOnlyTables_AndCannotPostTheManagerForms()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        await admin.PutModelProviderAsync("default", "upstream", new PutModelProviderRequest("openai-compatible", "http://127.0.0.1:9/v1/", Credential: Credential));
        await admin.PutModelRouteAsync("default", "chat", new PutModelRouteRequest([new RouteTargetDto("upstream", "gpt-x")]));
        await admin.CreateUserAsync("default", new CreateUserRequest("mia", Role: "member", Password: "member password 1"));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithPasswordAsync(page, "mia", "member password 1");

        await page.GotoAsync("o/default/models");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("providers"), "upstream");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("routes"), "upstream:gpt-x");
        (await page.GetByTestId("provider-save").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("route-save").CountAsync()).ShouldBe(0);
        (await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).CountAsync()).ShouldBe(0);
        (await page.ContentAsync()).ShouldNotContain(Credential);

        // A member makes keys for themself only; the owner fields are not offered.
        await page.GotoAsync("o/default/models/keys");
        (await page.GetByTestId("key-owner-kind").CountAsync()).ShouldBe(0);
        await page.GotoAsync("o/default/models/usage");
        (await page.GetByTestId("price-save").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("prices").InnerTextAsync()).ShouldNotBeEmpty();

        // Posting the manager forms anyway, with the member's own valid antiforgery token: the page has no such form
        // for a member, so the post is refused and nothing changes.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        async Task<IAPIResponse> PostAsync(string path, params (string Name, string Value)[] fields)
        {
            var form = page.APIRequest.CreateFormData().Set("__RequestVerificationToken", antiforgery);
            foreach (var (name, value) in fields)
            {
                form.Set(name, value);
            }

            return await page.APIRequest.PostAsync(path, new APIRequestContextOptions { Form = form });
        }

        (await PostAsync("o/default/models", ("_handler", "save-provider"), ("Provider.Name", "upstream"), ("Provider.Kind", "openai-compatible"),
            ("Provider.BaseUrl", "http://evil.example/v1/"), ("Provider.Credential", "stolen"))).Status.ShouldBe(400);
        (await PostAsync("o/default/models", ("_handler", "delete-route"), ("DeleteRoute", "chat"))).Status.ShouldBe(400);
        (await PostAsync("o/default/models/usage", ("_handler", "set-price"), ("Price.Model", "gpt-x"), ("Price.Input", "0"), ("Price.Output", "0"))).Status.ShouldBe(400);

        // The forms a member does have are checked by the stores: another's key cannot be revoked (nor seen), and
        // captured prompts are for owners, admins and auditors.
        var adminKey = await admin.CreateVirtualKeyAsync("default", new CreateVirtualKeyRequest("admin-key"));
        await page.GotoAsync("o/default/models/keys");
        await page.GetByTestId("key-name").FillAsync("mine");
        await page.GetByTestId("key-create").ClickAsync();
        (await page.GetByTestId("new-key").InnerTextAsync()).ShouldStartWith("wvk_");
        var keys = await page.GetByTestId("keys").InnerTextAsync();
        keys.ShouldContain("mine");
        keys.ShouldNotContain("admin-key");
        antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        // The member's own revoke form, its hidden key id swapped for another's.
        var ownForm = await page.Locator("tr[data-key=mine] input[name=_handler]").InputValueAsync();
        ownForm.ShouldStartWith("revoke-key-");
        var revoke = await PostAsync("o/default/models/keys", ("_handler", ownForm), ("RevokeId", adminKey.Key.Id));
        revoke.Status.ShouldBe(400);
        var refusal = await revoke.TextAsync();
        refusal.ShouldContain("Virtual key");
        refusal.ShouldContain(adminKey.Key.Id);
        refusal.ShouldContain("was not found");
        (await admin.ListVirtualKeysAsync("default")).Single(k => k.Name == "admin-key").RevokedAt.ShouldBeNull();
        var capture = await page.GotoAsync("o/default/models/usage/mu_anything");
        capture!.Status.ShouldBe(403);
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Captured prompts are for owners, admins and auditors");

        var providers = await admin.ListModelProvidersAsync("default");
        providers.Single().BaseUrl.ShouldBe("http://127.0.0.1:9/v1/");
        (await admin.ListModelRoutesAsync("default")).Select(r => r.Name).ShouldBe(["chat"]);
        (await admin.ListModelPricesAsync("default")).ShouldAllBe(p => p.IsDefault);
    }

    [Fact]
    public async Task InvalidInput_ShowsInlineErrors_WithoutEchoingTheCredential()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await page.GotoAsync("o/default/models");

        await page.GetByTestId("provider-name").FillAsync("broken");
        await page.GetByTestId("provider-url").FillAsync("not a url");
        await page.GetByTestId("provider-credential").FillAsync(Credential);
        var response = await page.RunAndWaitForResponseAsync(() => page.GetByTestId("provider-save").ClickAsync(), r => r.Request.Method == "POST");
        response.Status.ShouldBe(400);
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Invalid base URL 'not a url'");
        (await page.GetByTestId("provider-name").InputValueAsync()).ShouldBe("broken", "the rest of the form is kept to fix");
        (await page.ContentAsync()).ShouldNotContain(Credential);

        await page.GetByTestId("provider-url").FillAsync("http://127.0.0.1:9/v1/");
        await page.GetByTestId("provider-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("providers"), "broken");
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("providers"), "none");

        await page.GetByTestId("route-name").FillAsync("chat");
        await page.GetByTestId("route-targets").FillAsync("broken:model-a\nno-colon-here");
        await page.GetByTestId("route-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Invalid target line 'no-colon-here'");
        (await page.GetByTestId("route-targets").InputValueAsync()).ShouldContain("no-colon-here");
        await page.GetByTestId("route-targets").FillAsync("ghost:model-a");
        await page.GetByTestId("route-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Unknown provider(s): ghost");
        await page.GetByTestId("route-targets").FillAsync("broken:model-a@0");
        await page.GetByTestId("route-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Invalid weight");
        (await page.GetByTestId("routes").InnerTextAsync()).ShouldNotContain("chat");

        // Live health per target, as the gateway sees it: one failure degrades, three cool a target down.
        await page.GetByTestId("route-targets").FillAsync("broken:model-a");
        await page.GetByTestId("route-fallbacks").FillAsync("broken:model-b");
        await page.GetByTestId("route-save").ClickAsync();
        // Saved before the next navigation, which would otherwise cancel the form's request.
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("models-saved"), "Route chat saved");
        var health = server.Host.App.Services.GetRequiredService<TargetHealth>();
        var orgId = (await admin.GetOrgAsync("default")).Id;
        health.Failure(orgId, "broken", "model-a", "connection refused");
        for (var i = 0; i < TargetHealth.FailureThreshold; i++)
        {
            health.Failure(orgId, "broken", "model-b", "upstream answered 503");
        }

        await page.GotoAsync("o/default/models");
        var routes = page.GetByTestId("routes");
        await BrowserSupport.ExpectTextAsync(routes.Locator("li", new() { HasText = "broken:model-a" }), "degraded");
        await BrowserSupport.ExpectTextAsync(routes.Locator("li", new() { HasText = "broken:model-a" }), "connection refused");
        await BrowserSupport.ExpectTextAsync(routes.Locator("li", new() { HasText = "broken:model-b" }), "cooling-down until");
        await BrowserSupport.ExpectTextAsync(routes.Locator("li", new() { HasText = "broken:model-b" }), "upstream answered 503");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-models-health.png"), FullPage = true });

        // A provider a route still uses cannot be deleted; the page says which route.
        await page.GetByTestId("providers").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "used by route(s) chat");

        await page.GotoAsync("o/default/models/keys");
        await page.GetByTestId("key-name").FillAsync("bad");
        await page.GetByTestId("key-owner-kind").SelectOptionAsync("team");
        await page.GetByTestId("key-owner").FillAsync("no-such-team");
        var missingTeam = await page.RunAndWaitForResponseAsync(() => page.GetByTestId("key-create").ClickAsync(), r => r.Request.Method == "POST");
        missingTeam.Status.ShouldBe(400, "something the form names that is not there is the form's problem");
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "Team 'no-such-team' was not found");
        (await page.GetByTestId("new-key").CountAsync()).ShouldBe(0);

        await page.GotoAsync("o/default/models/usage");
        await page.GetByTestId("price-model").FillAsync("model-a");
        await page.GetByTestId("price-input").FillAsync("-1");
        await page.GetByTestId("price-output").FillAsync("1");
        await page.GetByTestId("price-save").ClickAsync();
        await BrowserSupport.ExpectTextAsync(page.Locator(".banner.error"), "between 0 and 100000");
    }
}
