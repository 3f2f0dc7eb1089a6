using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Server.Hosting;

namespace Warden.IntegrationTests.Hosting;

/// <summary>
/// The server gives back to the OS the memory glibc's <c>malloc</c> holds after native code has freed it: freed blocks
/// below a live one stay resident until <c>malloc_trim</c> releases them.
/// </summary>
public sealed class NativeMemoryTrimmerTests
{
    private const int BlockBytes = 32 * 1024; // below glibc's mmap threshold (128 KiB), so the blocks come from an arena
    private const int Blocks = 1024;          // 32 MiB

    [Fact]
    public void MemoryFreedBelowALiveBlock_StaysResidentUntilTheTrim_ThenIsGivenBack()
    {
        NativeMemoryTrimmer.IsSupported.ShouldBe(OperatingSystem.IsLinux(), "Warden's Linux targets (Debian) use glibc");
        var trimmer = new NativeMemoryTrimmer(new WardenServerOptions(), NullLogger<NativeMemoryTrimmer>.Instance);

        using (var freed = FreedBetweenLiveBlocks())
        {
            var before = RssAnonBytes();
            NativeMemoryTrimmer.FreeBytes().ShouldBeGreaterThanOrEqualTo((long)Blocks * BlockBytes * 63 / 64);

            trimmer.TrimIfWorthIt().ShouldBeTrue();

            var released = before - RssAnonBytes();
            released.ShouldBeGreaterThan((long)Blocks * BlockBytes / 2, $"resident before {before:N0}, after {before - released:N0}");
            trimmer.Trims.ShouldBe(1);
            trimmer.TrimTime.ShouldBeGreaterThan(TimeSpan.Zero);
        }

        // Not worth it: below the threshold nothing is trimmed (no process holds a petabyte free).
        trimmer.TrimIfWorthIt(thresholdBytes: 1L << 50).ShouldBeFalse();
        trimmer.Trims.ShouldBe(1);
    }

    [Fact]
    public async Task TheServer_TrimsOnItsInterval_AndNotAtAllWhenTheIntervalIsZero()
    {
        await using var server = await TestServer.StartAsync("sqlite", o => o with { NativeMemoryTrimInterval = TimeSpan.FromSeconds(1) });
        await using var off = await TestServer.StartAsync("sqlite", o => o with { NativeMemoryTrimInterval = TimeSpan.Zero });
        var trimmer = server.Host.App.Services.GetRequiredService<NativeMemoryTrimmer>();
        var idle = off.Host.App.Services.GetRequiredService<NativeMemoryTrimmer>();

        using var freed = FreedBetweenLiveBlocks();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (trimmer.Trims == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        trimmer.Trims.ShouldBeGreaterThan(0, "a server with a 1 s interval trims when malloc holds megabytes free");
        idle.Trims.ShouldBe(0, "the interval zero turns trimming off");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(3_600_001)]
    public void AnIntervalOutsideOneSecondToAnHour_IsRefusedAtStart(int milliseconds)
    {
        var errors = new WardenServerOptions { DataDirectory = "/tmp/x", NativeMemoryTrimInterval = TimeSpan.FromMilliseconds(milliseconds) }.Validate();

        errors.ShouldHaveSingleItem().ShouldContain("NativeMemoryTrimInterval");
        new WardenServerOptions { DataDirectory = "/tmp/x", NativeMemoryTrimInterval = TimeSpan.Zero }.Validate().ShouldBeEmpty();
    }

    /// <summary>
    /// 32 MiB of touched <c>malloc</c> blocks, of which every 64th stays live and the rest are freed: the live ones
    /// keep the freed runs from joining the top of the arena, where <c>free</c> itself could give them back.
    /// Disposing frees the live blocks.
    /// </summary>
    private static unsafe LiveBlocks FreedBetweenLiveBlocks()
    {
        var blocks = new nint[Blocks];
        for (var i = 0; i < Blocks; i++)
        {
            var p = (byte*)NativeMemory.Alloc(BlockBytes);
            new Span<byte>(p, BlockBytes).Fill(0x5a);
            blocks[i] = (nint)p;
        }

        var live = new List<nint>();
        for (var i = 0; i < Blocks; i++)
        {
            if (i % 64 == 63)
            {
                live.Add(blocks[i]);
            }
            else
            {
                NativeMemory.Free((void*)blocks[i]);
            }
        }

        return new LiveBlocks(live);
    }

    private static long RssAnonBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private sealed unsafe class LiveBlocks(List<nint> blocks) : IDisposable
    {
        public void Dispose() => blocks.ForEach(b => NativeMemory.Free((void*)b));
    }
}
