using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Warden.IntegrationTests.AuditIngest;
using Warden.ScriptedModel;
using Warden.Server.Gateway;

namespace Warden.IntegrationTests.Gateway;

/// <summary>The gateway's own time per call (<see cref="ModelGateway.OverheadInstrument"/>), which leaves out the provider's wait.</summary>
public sealed class GatewayOverheadTests
{
    private static readonly TimeSpan ProviderWait = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EachAnsweredCall_IsMeasuredWithoutTheProvidersWait_AndARefusedCallIsNot(bool stream)
    {
        // The provider waits a second before its first byte: a measurement that counted the wait would hold it.
        await using var f = await GatewayFixture.StartAsync(upstream: new ScriptedModelOptions { FirstByteLatency = ProviderWait });
        await f.RouteAsync("coder", ["vllm:gpt-4o"]);
        var key = await f.KeyAsync();
        using var measured = new Measurements(f.Server.Host.App.Services.GetRequiredService<IMeterFactory>());
        f.OpenAI.Enqueue(new ScriptedTurn { Text = "one two three four five", ChunkSize = 4, InterChunkLatency = TimeSpan.FromMilliseconds(20) });
        using var http = new HttpClient { BaseAddress = f.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        // Refused before anything is sent (no such model): nothing to measure.
        using var refused = await http.PostAsync("v1/chat/completions", Body("nope", stream));
        refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var watch = Stopwatch.StartNew();
        using var answered = await http.PostAsync("v1/chat/completions", Body("coder", stream));
        var text = await answered.Content.ReadAsStringAsync();
        watch.Stop();

        answered.StatusCode.ShouldBe(HttpStatusCode.OK);
        text.ShouldContain(stream ? "data: " : "\"choices\"");
        watch.Elapsed.ShouldBeGreaterThanOrEqualTo(ProviderWait);
        // The measurement is taken as the handler ends, which can be just after the client has its last byte.
        await Eventually.HoldsAsync(() => !measured.Values.IsEmpty, "the call is measured", seconds: 10);
        var (seconds, streamed) = measured.Values.ShouldHaveSingleItem();
        streamed.ShouldBe(stream ? "true" : "false");
        seconds.ShouldBeGreaterThan(0);
        seconds.ShouldBeLessThan(ProviderWait.TotalSeconds);
    }

    private static StringContent Body(string model, bool stream) =>
        new($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]{{(stream ? ",\"stream\":true" : string.Empty)}}}""", Encoding.UTF8, "application/json");

    /// <summary>The overhead histogram's measurements from one server (its meter factory), not from others running in parallel.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Measurements(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == ModelGateway.MeterName && instrument.Name == ModelGateway.OverheadInstrument)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                string? streamed = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == ModelGateway.StreamTag)
                    {
                        streamed = tag.Value as string;
                    }
                }

                Values.Enqueue((value, streamed));
            });
            _listener.Start();
        }

        public ConcurrentQueue<(double Seconds, string? Stream)> Values { get; } = new();

        public void Dispose() => _listener.Dispose();
    }
}
