using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Warden.Server.Hosting;

/// <summary>
/// Gives back to the OS the memory that glibc's <c>malloc</c> keeps after native code has freed it.
/// </summary>
/// <remarks>
/// <para>
/// Managed objects live in the GC's heap, but the runtime's JIT, SQLite's page caches and OpenSSL allocate with
/// <c>malloc</c>. glibc returns freed memory to the OS only from the top of each arena, so what the JIT frees after
/// compiling (most of it, and most of the load-time compilation happens in the first minute) stays resident:
/// measured in the gateway benchmark at load, 27 MB of arenas held 10 MB in use, and one <c>malloc_trim</c>
/// dropped the working set by 12.6 MB (docs/benchmarks.md, model gateway, "2026-12-07 16:20–17:47 UTC").
/// </para>
/// <para>
/// Every <see cref="WardenServerOptions.NativeMemoryTrimInterval"/> this service reads how much <c>malloc</c> holds
/// free (<c>mallinfo2</c>) and, when that is at least <see cref="TrimThresholdBytes"/>, calls <c>malloc_trim(0)</c>,
/// which releases the free pages inside every arena. It does nothing where there is no glibc (musl, macOS,
/// Windows), and nothing when the interval is zero.
/// </para>
/// </remarks>
public sealed partial class NativeMemoryTrimmer(WardenServerOptions options, ILogger<NativeMemoryTrimmer> logger) : BackgroundService
{
    /// <summary>The default interval: often enough to catch what start-up and tier-up compilation leave behind.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>Free <c>malloc</c> memory below this is not worth a trim.</summary>
    public const long TrimThresholdBytes = 1024 * 1024;

    private static readonly GlibcMalloc? Malloc = GlibcMalloc.TryLoad();
    private long _trims;
    private long _trimTicks;

    /// <summary>Whether this process's C library can be trimmed (glibc).</summary>
    public static bool IsSupported => Malloc is not null;

    /// <summary>How many trims ran.</summary>
    public long Trims => Interlocked.Read(ref _trims);

    /// <summary>The time all trims took together.</summary>
    public TimeSpan TrimTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _trimTicks));

    /// <summary>
    /// Bytes that <c>malloc</c> holds free (in all arenas, resident or already given back), or -1 without glibc.
    /// </summary>
    public static long FreeBytes() => Malloc is { } m ? (long)m.Info().FreeBytes : -1;

    /// <summary>
    /// Trims now if <c>malloc</c> holds at least <paramref name="thresholdBytes"/> free. True when it trimmed.
    /// </summary>
    public bool TrimIfWorthIt(long thresholdBytes = TrimThresholdBytes)
    {
        if (Malloc is not { } m || (long)m.Info().FreeBytes < thresholdBytes)
        {
            return false;
        }

        var start = Stopwatch.GetTimestamp();
        m.Trim();
        Interlocked.Add(ref _trimTicks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _trims);
        return true;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Malloc is null || options.NativeMemoryTrimInterval == TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.NativeMemoryTrimInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                TrimIfWorthIt();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            LogTrims(logger, Trims, TrimTime.TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Native memory trimmed {Trims} times, {Milliseconds:F1} ms in all")]
    private static partial void LogTrims(ILogger logger, long trims, double milliseconds);

    /// <summary>glibc's <c>struct mallinfo2</c> (glibc 2.33 and later): every field a <c>size_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena;
        public readonly nuint OrdBlks;
        public readonly nuint SmBlks;
        public readonly nuint HBlks;
        public readonly nuint HBlkHd;
        public readonly nuint UsmBlks;
        public readonly nuint FsmBlks;
        public readonly nuint UordBlks;
        public readonly nuint FordBlks;
        public readonly nuint KeepCost;

        /// <summary>Free bytes in all arenas (<c>fordblks</c>, which counts the fast bins too).</summary>
        public nuint FreeBytes => FordBlks;
    }

    /// <summary>The two glibc entry points, looked up at run time so that other C libraries simply go without.</summary>
    private sealed unsafe class GlibcMalloc
    {
        private readonly delegate* unmanaged<nuint, int> _trim;
        private readonly delegate* unmanaged<MallInfo2> _info;

        private GlibcMalloc(nint trim, nint info)
        {
            _trim = (delegate* unmanaged<nuint, int>)trim;
            _info = (delegate* unmanaged<MallInfo2>)info;
        }

        public static GlibcMalloc? TryLoad()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc))
            {
                return null;
            }

            return NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim) && NativeLibrary.TryGetExport(libc, "mallinfo2", out var info)
                ? new GlibcMalloc(trim, info)
                : null;
        }

        public void Trim() => _trim(0);

        public MallInfo2 Info() => _info();
    }
}
