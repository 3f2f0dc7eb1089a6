using System.Buffers;
using System.Text;

namespace Warden.Models.Tests;

/// <summary>
/// The byte path for pass-through streams. Its output must be the upstream's bytes, a complete event at a time, and
/// it must meter exactly what the string path (<see cref="SseReader"/> then <see cref="StreamUsageMeter.Observe(in SseEvent)"/>)
/// meters, however the network splits the stream.
/// </summary>
public sealed class SseRelayTests
{
    // Multi-byte characters (two, three and four bytes) in content, so some split points fall inside one.
    private const string ChatStream =
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße, \u4e16\u754c \ud83d\ude00\"},\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"é\"},\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21,\"prompt_tokens_details\":{\"cached_tokens\":2}}}\n\n" +
        "data: [DONE]\n\n";

    private const string AnthropicStream =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
        "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hällo \ud83d\udc4b\"}}\n\n" +
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    // Responses events, named and (as some senders do) unnamed, so the meter reads their type from the data.
    private const string ResponsesStream =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"usage\":null}}\n\n" +
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Grüße \ud83d\ude00\"}\n\n" +
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"\u4e16\"}\n\n" +
        "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":{\"input_tokens\":10,\"output_tokens\":16}}}\n\n";

    [Theory]
    [InlineData(WireFormat.OpenAIChat, ChatStream, 2)]
    [InlineData(WireFormat.AnthropicMessages, AnthropicStream, 1)]
    [InlineData(WireFormat.OpenAIResponses, ResponsesStream, 2)]
    public async Task Relay_ForwardsTheSameBytesAndCountsTheSameUsage_WhereverTheStreamIsSplit(WireFormat format, string text, int outputChunks)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = await MeterByStringsAsync(format, bytes);
        expected.Usage.ShouldNotBeNull();
        expected.OutputChunks.ShouldBe(outputChunks);

        // Every split into two reads: inside "data:", inside a multi-byte character, between the blank line's bytes.
        for (var split = 0; split <= bytes.Length; split++)
        {
            var (output, meter, _) = Run(format, [bytes[..split], bytes[split..]]);
            output.ShouldBe(bytes, $"split at {split}");
            meter.Usage.ShouldBe(expected.Usage, $"split at {split}");
            meter.FinishReason.ShouldBe(expected.FinishReason, $"split at {split}");
            meter.OutputChunks.ShouldBe(expected.OutputChunks, $"split at {split}");
        }

        // One byte per read.
        var (trickled, trickleMeter, _) = Run(format, bytes.Select(b => new[] { b }).ToArray());
        trickled.ShouldBe(bytes);
        trickleMeter.Usage.ShouldBe(expected.Usage);
        trickleMeter.OutputChunks.ShouldBe(expected.OutputChunks);
    }

    [Fact]
    public void Relay_NeverForwardsHalfAnEvent()
    {
        var bytes = Encoding.UTF8.GetBytes(ChatStream);
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        using var relay = new SseRelay(meter);
        var output = new ArrayBufferWriter<byte>();
        foreach (var b in bytes)
        {
            var memory = relay.GetReadMemory();
            memory.Span[0] = b;
            relay.Process(1);
            relay.WriteTo(output);

            // What the client has so far is whole events: it ends with a blank line or is empty.
            var text = Encoding.UTF8.GetString(output.WrittenSpan);
            (text.Length == 0 || text.EndsWith("\n\n", StringComparison.Ordinal)).ShouldBeTrue(text);
        }

        relay.Process(0).ShouldBe(0);
        relay.HasOutput.ShouldBeFalse();
        output.WrittenSpan.ToArray().ShouldBe(bytes);
    }

    [Fact]
    public void Relay_CountsDispatchedEvents_IncludingDone()
    {
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        using var relay = new SseRelay(meter);
        var bytes = Encoding.UTF8.GetBytes(ChatStream);
        bytes.CopyTo(relay.GetReadMemory());

        relay.Process(bytes.Length).ShouldBe(6);
        relay.Process(0).ShouldBe(0);
        meter.Usage.ShouldBe(new TokenUsage(9, 12, 2));
        meter.FinishReason.ShouldBe("stop");
    }

    [Fact]
    public void Relay_HidesUsageOnlyChunks_ButMetersThem()
    {
        var bytes = Encoding.UTF8.GetBytes(ChatStream);
        var (output, meter, _) = Run(WireFormat.OpenAIChat, [bytes], hideUsage: true);

        var text = Encoding.UTF8.GetString(output);
        text.ShouldNotContain("\"usage\"");
        text.ShouldEndWith("\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        meter.Usage.ShouldBe(new TokenUsage(9, 12, 2));
    }

    [Theory]
    [InlineData("data: one\r\n\r\ndata: two\r\rdata: three\n\n")]
    [InlineData("\uFEFFevent: x\ndata: first\ndata:second\ndata:  third\n\n")]
    [InlineData(": ping\n\n:\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n: trailing\n\n")]
    [InlineData("event: lonely\n\n\n\ndata\n\ndata:\n\nevent: y\ndata: z")]
    [InlineData("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n")]
    public async Task Relay_FindsTheEventsTheReaderFinds_AtEverySplit(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = await ReadEventsAsync(bytes);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var (output, _, _) = Run(WireFormat.OpenAIChat, [bytes[..split], bytes[split..]]);
            (await ReadEventsAsync(output)).ShouldBe(expected, $"split at {split}");
        }
    }

    [Fact]
    public void Relay_ForwardsTheLastEventWithItsBlankLine_WhenTheStreamStopsMidEvent()
    {
        var (output, meter, events) = Run(WireFormat.OpenAIChat, [Encoding.UTF8.GetBytes("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_")]);

        // As the string path did: the cut-off event is passed on as it came, ended so a client's parser sees it.
        Encoding.UTF8.GetString(output).ShouldBe("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_\n\n");
        events.ShouldBe(2);
        meter.Usage.ShouldBeNull();
    }

    [Fact]
    public void Relay_DropsAnUnfinishedLineWithoutData_AtTheEnd()
    {
        var (output, meter, events) = Run(WireFormat.AnthropicMessages, [Encoding.UTF8.GetBytes("event: message_start\nevent: message_del")]);

        output.ShouldBeEmpty();
        events.ShouldBe(0);
        meter.Usage.ShouldBeNull();
    }

    [Fact]
    public void Relay_PassesGarbageWithoutDataNowhere_AndGarbageDataThroughUnchanged()
    {
        var random = new Random(5);
        var noise = new byte[20_000];
        random.NextBytes(noise);
        for (var i = 0; i < noise.Length; i++)
        {
            // No line ends: one enormous line that is never an event.
            if (noise[i] is (byte)'\n' or (byte)'\r')
            {
                noise[i] = (byte)'x';
            }
        }

        var (output, meter, events) = Run(WireFormat.OpenAIChat, noise.Chunk(1000).ToArray());
        output.ShouldBeEmpty();
        events.ShouldBe(0);
        meter.Usage.ShouldBeNull();

        // Invalid UTF-8 and broken JSON in data lines go through as they came, and count nothing.
        byte[] bad = [.. "data: {\"usage\":{\"prompt_tokens\":"u8, 0xFF, 0xC3, .. "}\n\ndata: "u8, 0xFE, 0xFE, .. "\n\n"u8];
        var (badOutput, badMeter, badEvents) = Run(WireFormat.OpenAIChat, [bad]);
        badOutput.ShouldBe(bad);
        badEvents.ShouldBe(2);
        badMeter.Usage.ShouldBeNull();
    }

    [Fact]
    public async Task Relay_ReadsUsageFromDataThatIsNotValidUtf8_AsTheStringPathDid()
    {
        // A stray invalid byte in the content: the string path decoded it to U+FFFD and still read the usage.
        byte[] bytes = [.. "data: {\"choices\":[{\"delta\":{\"content\":\"a"u8, 0xFF, .. "\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"u8];
        var expected = await MeterByStringsAsync(WireFormat.OpenAIChat, bytes);
        var (_, meter, _) = Run(WireFormat.OpenAIChat, [bytes]);

        expected.Usage.ShouldBe(new TokenUsage(3, 4));
        meter.Usage.ShouldBe(expected.Usage);
        meter.OutputChunks.ShouldBe(expected.OutputChunks);
    }

    [Fact]
    public void Relay_HandlesEventsLargerThanItsBuffer()
    {
        var content = new string('ü', 40_000);
        var text = $"data: {{\"choices\":[{{\"delta\":{{\"content\":\"{content}\"}}}}],\"usage\":{{\"prompt_tokens\":1,\"completion_tokens\":2}}}}\n\ndata: [DONE]\n\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var (output, meter, events) = Run(WireFormat.OpenAIChat, bytes.Chunk(3000).ToArray());

        output.ShouldBe(bytes);
        events.ShouldBe(2);
        meter.Usage.ShouldBe(new TokenUsage(1, 2));
        meter.OutputChunks.ShouldBe(1);
    }

    [Fact]
    public void Relay_CapturesTheDataOfForwardedEvents()
    {
        var capture = new StringBuilder();
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        using var relay = new SseRelay(meter, hideUsageOnlyChunks: true, capture);
        var bytes = Encoding.UTF8.GetBytes("data: {\"a\":\"é\"}\n\ndata: {\"choices\":[],\"usage\":{}}\n\ndata: [DONE]\n\n");
        bytes.CopyTo(relay.GetReadMemory());
        relay.Process(bytes.Length);
        relay.Process(0);

        capture.ToString().ShouldBe("{\"a\":\"é\"}\n[DONE]\n");
    }

    private static (byte[] Output, StreamUsageMeter Meter, int Events) Run(WireFormat format, byte[][] reads, bool hideUsage = false)
    {
        var meter = new StreamUsageMeter(format);
        using var relay = new SseRelay(meter, hideUsage);
        var output = new ArrayBufferWriter<byte>();
        var events = 0;
        foreach (var read in reads)
        {
            var rest = read.AsSpan();
            while (!rest.IsEmpty)
            {
                var memory = relay.GetReadMemory();
                var n = Math.Min(memory.Length, rest.Length);
                rest[..n].CopyTo(memory.Span);
                rest = rest[n..];
                events += relay.Process(n);
                relay.WriteTo(output);
            }
        }

        events += relay.Process(0);
        relay.WriteTo(output);
        return (output.WrittenSpan.ToArray(), meter, events);
    }

    private static async Task<StreamUsageMeter> MeterByStringsAsync(WireFormat format, byte[] bytes)
    {
        var meter = new StreamUsageMeter(format);
        foreach (var e in await ReadEventsAsync(bytes))
        {
            meter.Observe(e);
        }

        return meter;
    }

    private static Task<List<SseEvent>> ReadEventsAsync(byte[] bytes) => Sse.ReadAllAsync(new MemoryStream(bytes));
}
