using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Warden.Benchmarks;

/// <summary>
/// One side of a gateway comparison (straight to the upstream, or through the gateway): where requests go, what they
/// carry, and what came back. Requests are sent by a fixed number of workers in a closed loop (each sends its next
/// request when the last one has been read to the end), in blocks of a fixed size.
/// </summary>
public sealed class GatewayLoad(string name, HttpClient http, Uri url, byte[] body, bool stream)
{
    private static readonly byte[] DataPrefix = "data:"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]"u8.ToArray();
    private readonly Lock _lock = new();
    private readonly List<long> _latencies = [];
    private readonly List<long> _firstData = [];
    private long _requests;
    private long _errors;
    private long _elapsedTicks;

    /// <summary>"direct" or "gateway".</summary>
    public string Name { get; } = name;

    /// <summary>Whether the requests ask for a stream.</summary>
    public bool Stream { get; } = stream;

    /// <summary>Requests sent, recorded or not.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that did not end in a complete 200 answer.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The first error seen, for the report.</summary>
    public string? FirstError { get; private set; }

    /// <summary>Recorded requests per second of block time.</summary>
    public double Rate => _latencies.Count / (_elapsedTicks / (double)Stopwatch.Frequency);

    /// <summary>Latencies recorded (whole response read), in stopwatch ticks, sorted by <see cref="Seal"/>.</summary>
    public IReadOnlyList<long> Latencies => _latencies;

    /// <summary>Times to the first complete SSE data line (streams only), in stopwatch ticks, sorted by <see cref="Seal"/>.</summary>
    public IReadOnlyList<long> FirstData => _firstData;

    /// <summary>Sends <paramref name="requests"/> requests with <paramref name="concurrency"/> workers; records them when <paramref name="record"/>.</summary>
    public async Task RunBlockAsync(int concurrency, int requests, bool record)
    {
        var next = new int[1];
        var started = Stopwatch.GetTimestamp();
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(next, requests, record));
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        if (record)
        {
            _elapsedTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    /// <summary>Runs <paramref name="concurrency"/> workers until <paramref name="stop"/> is cancelled; counts, never records.</summary>
    public async Task RunUntilAsync(int concurrency, CancellationToken stop, Action<long> completed)
    {
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                var buffer = new byte[16 * 1024];
                while (!stop.IsCancellationRequested)
                {
                    var (total, _) = await SendOneAsync(buffer).ConfigureAwait(false);
                    completed(total);
                }
            });
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>Sorts the recorded samples; call once recording is over.</summary>
    public void Seal()
    {
        _latencies.Sort();
        _firstData.Sort();
    }

    /// <summary>The <paramref name="p"/>-quantile (0..1, nearest rank) of sorted samples, in milliseconds.</summary>
    public static double Percentile(IReadOnlyList<long> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        return sorted[NearestRank(sorted.Count, p)] * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>The index of the <paramref name="p"/>-quantile (0..1, nearest rank) among <paramref name="count"/> sorted samples.</summary>
    public static int NearestRank(int count, double p) => Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1);

    /// <summary>The mean of samples, in milliseconds.</summary>
    public static double Mean(IReadOnlyList<long> samples) =>
        samples.Count == 0 ? double.NaN : samples.Average(s => (double)s) * 1000.0 / Stopwatch.Frequency;

    private async Task WorkAsync(int[] next, int requests, bool record)
    {
        var buffer = new byte[16 * 1024];
        var latencies = new List<long>(record ? requests / 8 : 0);
        var firstData = new List<long>(record && Stream ? requests / 8 : 0);
        while (Interlocked.Increment(ref next[0]) <= requests)
        {
            var (total, first) = await SendOneAsync(buffer).ConfigureAwait(false);
            if (record && total > 0)
            {
                latencies.Add(total);
                if (Stream)
                {
                    firstData.Add(first);
                }
            }
        }

        lock (_lock)
        {
            _latencies.AddRange(latencies);
            _firstData.AddRange(firstData);
        }
    }

    /// <summary>One request, read to the end. Returns (0, 0) for a failed request, which is counted as an error.</summary>
    private async Task<(long Total, long FirstData)> SendOneAsync(byte[] buffer)
    {
        Interlocked.Increment(ref _requests);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            await using var content = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            long first = 0;
            long length = 0;
            var scan = new SseScan();
            var last = new byte[Done.Length + 2];
            var lastCount = 0;
            int read;
            while ((read = await content.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (Stream)
                {
                    if (first == 0 && scan.FindsFirstDataLine(buffer.AsSpan(0, read)))
                    {
                        first = Stopwatch.GetTimestamp() - start;
                    }

                    lastCount = KeepTail(last, lastCount, buffer.AsSpan(0, read));
                }
            }

            var total = Stopwatch.GetTimestamp() - start;
            var complete = Stream
                ? first > 0 && last.AsSpan(0, lastCount).TrimEnd((byte)'\n').EndsWith(Done.AsSpan())
                : length > 0;
            if (response.StatusCode != HttpStatusCode.OK || !complete)
            {
                Fail($"{(int)response.StatusCode}, {length} bytes{(complete ? string.Empty : ", incomplete")}");
                return (0, 0);
            }

            return (total, first);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            Fail(e.GetType().Name + ": " + e.Message);
            return (0, 0);
        }
    }

    private void Fail(string reason)
    {
        if (Interlocked.Increment(ref _errors) == 1)
        {
            FirstError = reason;
        }
    }

    /// <summary>Keeps the last bytes seen (enough for <c>data: [DONE]</c> and its blank line).</summary>
    private static int KeepTail(byte[] last, int count, ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= last.Length)
        {
            chunk[^last.Length..].CopyTo(last);
            return last.Length;
        }

        var keep = Math.Min(count, last.Length - chunk.Length);
        last.AsSpan(count - keep, keep).CopyTo(last);
        chunk.CopyTo(last.AsSpan(keep));
        return keep + chunk.Length;
    }

    /// <summary>Finds the end of the first <c>data:</c> line of an event stream across reads.</summary>
    private struct SseScan
    {
        private int _matched;
        private bool _midLine;
        private bool _inData;

        public bool FindsFirstDataLine(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                if (_inData)
                {
                    if (b == (byte)'\n')
                    {
                        return true;
                    }

                    continue;
                }

                if (b == (byte)'\n')
                {
                    _matched = 0;
                    _midLine = false;
                    continue;
                }

                if (!_midLine && b == DataPrefix[_matched])
                {
                    _matched++;
                    _inData = _matched == DataPrefix.Length;
                    continue;
                }

                _midLine = true;
                _matched = 0;
            }

            return false;
        }
    }
}
