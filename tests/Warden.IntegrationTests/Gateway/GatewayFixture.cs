using Microsoft.Extensions.DependencyInjection;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.ScriptedModel;
using Warden.Server.Gateway;

namespace Warden.IntegrationTests.Gateway;

/// <summary>
/// A real Warden server with scripted model servers standing in for providers: "openai" speaks the OpenAI format
/// (an OpenAI-compatible server such as vLLM), "anthropic" the Anthropic format. Each requires its own provider
/// credential, so a test also proves the gateway sends the provider's key upstream, never the caller's.
/// </summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    public const string OpenAIUpstreamKey = "sk-upstream-openai-credential-1234567890";
    public const string AnthropicUpstreamKey = "sk-ant-upstream-credential-1234567890";

    private GatewayFixture(TestServer server, ScriptedModelServer openAI, ScriptedModelServer anthropic, WardenClient admin)
    {
        Server = server;
        OpenAI = openAI;
        Anthropic = anthropic;
        Admin = admin;
    }

    public TestServer Server { get; }

    public ScriptedModelServer OpenAI { get; }

    public ScriptedModelServer Anthropic { get; }

    public WardenClient Admin { get; }

    public const string Org = "default";

    public Uri GatewayV1 => new(Server.BaseAddress, "v1/");

    public static async Task<GatewayFixture> StartAsync(string engine = "sqlite", ScriptedModelOptions? upstream = null)
    {
        var server = await TestServer.StartAsync(engine);
        var openAI = await ScriptedModelServer.StartAsync((upstream ?? new ScriptedModelOptions()) with { RequiredApiKey = OpenAIUpstreamKey });
        var anthropic = await ScriptedModelServer.StartAsync((upstream ?? new ScriptedModelOptions()) with { RequiredApiKey = AnthropicUpstreamKey });
        var admin = server.Client();
        await admin.PutModelProviderAsync(Org, "vllm", new PutModelProviderRequest("openai-compatible", openAI.OpenAIEndpoint.ToString(), Credential: OpenAIUpstreamKey));
        await admin.PutModelProviderAsync(Org, "claude", new PutModelProviderRequest("anthropic", anthropic.BaseAddress.ToString(), Credential: AnthropicUpstreamKey));
        await admin.PutModelProviderAsync(Org, "dead", new PutModelProviderRequest("openai-compatible", "http://127.0.0.1:9/v1/"));
        return new GatewayFixture(server, openAI, anthropic, admin);
    }

    /// <summary>A route named <paramref name="alias"/> to the given targets (PROVIDER:MODEL).</summary>
    public Task<ModelRouteDto> RouteAsync(string alias, string[] targets, string[]? fallbacks = null, int? timeoutMs = null, int retries = 0) =>
        Admin.PutModelRouteAsync(Org, alias, new PutModelRouteRequest(
            targets.Select(Parse).ToList(), (fallbacks ?? []).Select(Parse).ToList(), timeoutMs, retries));

    /// <summary>A virtual key for the admin with the given settings; returns the secret.</summary>
    public async Task<string> KeyAsync(CreateVirtualKeyRequest? request = null) =>
        (await Admin.CreateVirtualKeyAsync(Org, request ?? new CreateVirtualKeyRequest("test"))).Secret;

    /// <summary>Waits until every queued usage row and audit event is written.</summary>
    public Task FlushAsync() => Server.Host.App.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

    /// <summary>
    /// The recorded calls, newest first, once at least <paramref name="atLeast"/> are there (a call is recorded just
    /// after its answer is sent, so a test that has its answer may still be ahead of the record).
    /// </summary>
    public async Task<IReadOnlyList<ModelCallDto>> CallsAsync(int atLeast = 1)
    {
        IReadOnlyList<ModelCallDto> calls = [];
        await AuditIngest.Eventually.HoldsAsync(async () => (calls = await Admin.ListModelCallsAsync(Org)).Count >= atLeast, $"{atLeast} call(s) are recorded", seconds: 15);
        return calls;
    }

    /// <summary>The gateway's audit events (model.invoke), newest first, once every recorded call has its event.</summary>
    public async Task<IReadOnlyList<AuditEventDto>> InvocationsAsync(int atLeast = 1)
    {
        IReadOnlyList<AuditEventDto> events = [];
        await AuditIngest.Eventually.HoldsAsync(async () =>
        {
            await FlushAsync();
            var calls = (await Admin.ListModelCallsAsync(Org)).Count;
            events = (await Admin.SearchAuditAsync(Org, new Dictionary<string, string?> { ["action"] = "model.invoke" })).Events;
            return events.Count >= Math.Max(atLeast, calls);
        }, "the calls' audit events are written", seconds: 15);
        return events;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
        await OpenAI.DisposeAsync();
        await Anthropic.DisposeAsync();
    }

    private static RouteTargetDto Parse(string target)
    {
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        return new RouteTargetDto(target[..colon], target[(colon + 1)..]);
    }
}
