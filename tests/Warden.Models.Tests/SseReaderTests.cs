using System.Text;

namespace Warden.Models.Tests;

public sealed class SseReaderTests
{
    [Fact]
    public async Task Read_ParsesNamedEvents()
    {
        var events = await Sse.ReadAllAsync("event: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\n");

        events.ShouldBe([new SseEvent("message_start", "{\"a\":1}"), new SseEvent("ping", "{}")]);
    }

    [Fact]
    public async Task Read_AcceptsCrLfAndCrLineEnds()
    {
        var events = await Sse.ReadAllAsync("data: one\r\n\r\ndata: two\r\rdata: three\n\n");

        events.Select(e => e.Data).ShouldBe(["one", "two", "three"]);
    }

    [Fact]
    public async Task Read_JoinsMultiLineDataWithNewlines()
    {
        var events = await Sse.ReadAllAsync("event: x\ndata: first\ndata:second\ndata:  third\n\n");

        events.ShouldHaveSingleItem().ShouldBe(new SseEvent("x", "first\nsecond\n third"));
    }

    [Fact]
    public async Task Read_SkipsCommentsKeepAlivesAndUnknownFields()
    {
        var events = await Sse.ReadAllAsync(": ping\n\n:\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n: trailing\n\n");

        events.ShouldHaveSingleItem().ShouldBe(new SseEvent(null, "x"));
    }

    [Fact]
    public async Task Read_DropsEventNameOfEventWithoutData()
    {
        var events = await Sse.ReadAllAsync("event: lonely\n\ndata: y\n\n");

        events.ShouldHaveSingleItem().ShouldBe(new SseEvent(null, "y"));
    }

    [Fact]
    public async Task Read_ReturnsFinalEventWithoutBlankLine()
    {
        var events = await Sse.ReadAllAsync("data: a\n\ndata: [DONE]");

        events.Select(e => e.Data).ShouldBe(["a", "[DONE]"]);
    }

    [Fact]
    public async Task Read_KeepsEmptyDataAndFieldWithoutColon()
    {
        var events = await Sse.ReadAllAsync("data\n\ndata:\n\n");

        events.Select(e => e.Data).ShouldBe(["", ""]);
    }

    [Fact]
    public async Task Read_SkipsByteOrderMarkAndDecodesMultiByteCharactersSplitAcrossReads()
    {
        var text = "\uFEFFdata: héllo wörld — 日本語 🎉\n\n";

        for (var seed = 0; seed < 20; seed++)
        {
            var events = await Sse.ReadAllAsync(new TrickleStream(Encoding.UTF8.GetBytes(text), seed));
            events.ShouldHaveSingleItem().Data.ShouldBe("héllo wörld — 日本語 🎉");
        }
    }

    [Fact]
    public async Task Read_HandlesLinesLargerThanTheBuffer()
    {
        var big = new string('x', 100_000);

        var events = await Sse.ReadAllAsync($"data: {big}\ndata: {big}\n\ndata: small\n\n", trickle: false);

        events.Count.ShouldBe(2);
        events[0].Data.Length.ShouldBe(200_001);
        events[1].Data.ShouldBe("small");
    }

    [Fact]
    public async Task Read_SplitCrLfAcrossReadsIsOneLineEnd()
    {
        // Every split point of the CRLF pair is exercised by the trickle stream's random chunking.
        for (var seed = 0; seed < 30; seed++)
        {
            var events = await Sse.ReadAllAsync(new TrickleStream(Encoding.UTF8.GetBytes("data: a\r\n\r\ndata: b\r\n\r\n"), seed));
            events.Select(e => e.Data).ShouldBe(["a", "b"]);
        }
    }

    [Fact]
    public async Task Read_EmptyStreamHasNoEvents()
    {
        (await Sse.ReadAllAsync("")).ShouldBeEmpty();
        (await Sse.ReadAllAsync("\n\n\n")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Read_HonoursCancellation()
    {
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes("data: a\n\n")));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () => await reader.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task WriteThenRead_RoundTrips()
    {
        SseEvent[] events = [new("message_start", "{\"type\":\"message_start\"}"), new(null, "line1\nline2"), new(null, "[DONE]"), new("e", "")];

        var text = Sse.Write(events);

        text.ShouldStartWith("event: message_start\ndata: {\"type\":\"message_start\"}\n\ndata: line1\ndata: line2\n\n");
        (await Sse.ReadAllAsync(text)).ShouldBe(events);
    }
}
