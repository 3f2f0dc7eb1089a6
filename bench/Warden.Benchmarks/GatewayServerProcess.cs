using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Warden.Benchmarks;

/// <summary>
/// The parent's handle on a benchmark's server child process (<see cref="GatewayServerChild"/>, or the sessions
/// benchmark's): starts it with the same runtime settings as the <c>warden</c> executable (workstation, concurrent
/// GC), sends it commands and reads its answers, the lines its <see cref="GatewayServerChild.Prefix"/> marks.
/// </summary>
public sealed class GatewayServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _replies = Channel.CreateUnbounded<string>();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Task _pump;

    private GatewayServerProcess(Process process)
    {
        _process = process;
        _pump = Task.Run(PumpAsync);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("[server] " + e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The first-start admin token ("-" for a forwarder).</summary>
    public string AdminToken { get; private set; } = null!;

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the server over SQLite in <paramref name="dataDirectory"/>, or over <paramref name="postgres"/> when given; with no
    /// data directory, a <see cref="BareForwarder"/> to <paramref name="upstream"/> instead.
    /// </summary>
    public static Task<GatewayServerProcess> StartAsync(string? dataDirectory, string? postgres, Uri upstream, string upstreamKey, IReadOnlyList<string>? environment = null)
    {
        var arguments = new List<string> { "gateway-server", "--upstream", upstream.ToString(), "--upstream-key", upstreamKey };
        arguments.Add(dataDirectory is null ? "--forwarder-only" : "--data");
        if (dataDirectory is not null)
        {
            arguments.Add(dataDirectory);
        }

        if (postgres is not null)
        {
            arguments.Add("--database");
            arguments.Add(postgres);
        }

        return StartAsync(arguments, environment);
    }

    /// <summary>
    /// Starts this benchmark executable with <paramref name="arguments"/> (a server subcommand and its options) and waits
    /// for its <c>ready ADDRESS TOKEN</c> line.
    /// </summary>
    public static async Task<GatewayServerProcess> StartAsync(IReadOnlyList<string> arguments, IReadOnlyList<string>? environment = null)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own path is unknown.");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(GatewayServerProcess).Assembly.Location);
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        // The benchmark itself runs with server GC; the server runs as `warden` does (see Warden.Cli.csproj).
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_gcConcurrent"] = "1";
        foreach (var setting in environment ?? [])
        {
            var eq = setting.IndexOf('=', StringComparison.Ordinal);
            start.Environment[setting[..eq]] = setting[(eq + 1)..];
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The server process did not start.");
        var handle = new GatewayServerProcess(process);
        var ready = await handle.ReadReplyAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        var parts = ready.Split(' ');
        if (parts.Length < 3 || parts[0] != "ready")
        {
            throw new InvalidOperationException("The server process said: " + ready);
        }

        handle.BaseAddress = new Uri(parts[1]);
        handle.AdminToken = parts[2];
        return handle;
    }

    /// <summary>Sends a command and returns its answer's fields (<c>name=value</c> pairs).</summary>
    public async Task<Dictionary<string, long>> AskAsync(string command)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(command).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            var reply = await ReadReplyAsync(TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            var fields = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var part in reply.Split(' ').Skip(1))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    fields[part[..eq]] = long.Parse(part[(eq + 1)..], CultureInfo.InvariantCulture);
                }
            }

            return fields;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("quit").ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _pump.ConfigureAwait(false);
        _process.Dispose();
        _gate.Dispose();
    }

    private async Task<string> ReadReplyAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _replies.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The server process exited (code {(_process.HasExited ? _process.ExitCode : -1)}).");
        }
    }

    private async Task PumpAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(GatewayServerChild.Prefix, StringComparison.Ordinal))
            {
                _replies.Writer.TryWrite(line[GatewayServerChild.Prefix.Length..]);
            }
            else
            {
                Console.Error.WriteLine("[server] " + line);
            }
        }

        _replies.Writer.TryComplete();
    }
}
