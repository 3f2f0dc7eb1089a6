using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Warden.ScriptedModel.Hosting;

namespace Warden.ScriptedModel;

/// <summary>
/// A stand-in for LLM providers: an HTTP server speaking the real OpenAI (Chat Completions, Responses, embeddings,
/// models), Azure OpenAI, Anthropic Messages and AWS Bedrock (Anthropic models) wire formats, replaying scripted turns
/// with tool calls, streaming, latency and faults. Start one per test with <see cref="StartAsync"/>.
/// </summary>
public sealed class ScriptedModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ScriptState _state;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private ScriptedModelServer(WebApplication app, ScriptState state, CancellationTokenSource stopping, ScriptedModelOptions options)
    {
        _app = app;
        _state = state;
        _stopping = stopping;
        Options = options;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal) + "/");
    }

    /// <summary>The options the server runs with.</summary>
    public ScriptedModelOptions Options { get; }

    /// <summary>
    /// Where the server listens, e.g. <c>http://127.0.0.1:41234/</c>. OpenAI clients take <c>BaseAddress + "v1"</c> as
    /// their endpoint; Anthropic clients take <c>BaseAddress</c> itself.
    /// </summary>
    public Uri BaseAddress { get; }

    /// <summary>The OpenAI-style endpoint, <c>BaseAddress + "v1/"</c>.</summary>
    public Uri OpenAIEndpoint => new(BaseAddress, "v1/");

    /// <summary>The requests received since start or <see cref="ClearRequests"/>, oldest first (a copy; empty when <see cref="ScriptedModelOptions.RecordRequests"/> is off).</summary>
    public IReadOnlyList<ReceivedRequest> Requests => _state.Snapshot();

    /// <summary>How many requests arrived since start or <see cref="ClearRequests"/>, recorded or not.</summary>
    public int RequestCount => _state.RequestCount;

    /// <summary>Streaming responses still open, including ones waiting for their first byte or hanging.</summary>
    public int ActiveStreams => _state.ActiveStreams;

    /// <summary>Requests (streaming or not) still being answered.</summary>
    public int ActiveRequests => _state.ActiveRequests;

    /// <summary>Turns queued and not yet used.</summary>
    public int PendingTurns => _state.PendingTurns;

    /// <summary>Starts a server; throws <see cref="ArgumentException"/> listing every problem with <paramref name="options"/>.</summary>
    public static async Task<ScriptedModelServer> StartAsync(ScriptedModelOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The scripted model server options are not valid: " + string.Join(" ", errors), nameof(options));
        }

        if (options.DefaultTurn is not null)
        {
            Check(options.DefaultTurn);
        }

        ScriptedModelOptions.TryParseListen(options.Listen, out var endpoint);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ScriptedModelServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.AddServerHeader = false;
            // The handler enforces the body limit itself so the answer is the provider's own 413.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var state = new ScriptState();
        var stopping = new CancellationTokenSource();
        var app = builder.Build();
        app.UseRouting();
        new ScriptedModelEndpoints(options, state, stopping.Token).Map(app);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            throw;
        }

        return new ScriptedModelServer(app, state, stopping, options);
    }

    /// <summary>
    /// Queues a turn. Each generation request takes the first queued turn that applies to it (see
    /// <see cref="ScriptedTurn.Model"/>, <see cref="ScriptedTurn.Format"/>, <see cref="ScriptedTurn.Match"/>); with none,
    /// <see cref="ScriptedModelOptions.DefaultTurn"/> or the echo reply answers.
    /// </summary>
    /// <exception cref="ArgumentException">A tool call's arguments are not a JSON object.</exception>
    public void Enqueue(ScriptedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        Check(turn);
        _state.Enqueue([turn]);
    }

    /// <summary>Queues turns in order.</summary>
    public void Enqueue(IEnumerable<ScriptedTurn> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var list = turns.ToList();
        list.ForEach(Check);
        _state.Enqueue(list);
    }

    /// <summary>Drops every queued turn.</summary>
    public void ClearTurns() => _state.ClearTurns();

    /// <summary>Forgets the recorded requests and resets <see cref="RequestCount"/>.</summary>
    public void ClearRequests() => _state.ClearRequests();

    /// <summary>
    /// Waits until at least <paramref name="count"/> requests have arrived (since start or <see cref="ClearRequests"/>)
    /// and returns the recorded ones; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> passes first.
    /// </summary>
    public Task<IReadOnlyList<ReceivedRequest>> WaitForRequestsAsync(int count, TimeSpan timeout, CancellationToken ct = default) =>
        _state.WaitForRequestsAsync(count, timeout, ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Abort hanging and slow requests first so stopping does not wait for them.
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Already stopping.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static void Check(ScriptedTurn turn)
    {
        foreach (var call in turn.ToolCalls)
        {
            if (string.IsNullOrWhiteSpace(call.Name))
            {
                throw new ArgumentException("A scripted tool call needs a name.", nameof(turn));
            }

            if (string.IsNullOrWhiteSpace(call.ArgumentsJson))
            {
                continue;
            }

            try
            {
                using var arguments = JsonDocument.Parse(call.ArgumentsJson);
                if (arguments.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ArgumentException($"The arguments of scripted tool call '{call.Name}' must be a JSON object.", nameof(turn));
                }
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"The arguments of scripted tool call '{call.Name}' are not valid JSON: {e.Message}", nameof(turn), e);
            }
        }

        if (turn.ChunkSize is < 1)
        {
            throw new ArgumentException("ChunkSize must be at least 1.", nameof(turn));
        }
    }
}
