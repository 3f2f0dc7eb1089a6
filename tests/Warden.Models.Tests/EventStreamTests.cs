using System.Net;
using System.Text;
using Warden.Models.Aws;
using Warden.Models.Providers;

namespace Warden.Models.Tests;

public sealed class EventStreamTests
{
    [Fact]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        Crc32.Compute("123456789"u8).ShouldBe(0xCBF43926u);
        Crc32.Append(Crc32.Compute("1234"u8), "56789"u8).ShouldBe(0xCBF43926u);
    }

    [Fact]
    public async Task Reader_DecodesAPublishedExampleMessage()
    {
        // A message with one string header (content-type: application/json) and payload {"foo": "bar"}.
        byte[] message =
        [
            0, 0, 0, 62, 0, 0, 0, 32, 64, 93, 249, 70, 12, .. "content-type"u8, 7, 0, 16, .. "application/json"u8,
            .. "{\"foo\": \"bar\"}"u8, 111, 162, 191, 59,
        ];

        var decoded = await new EventStreamReader(new MemoryStream(message)).ReadAsync(CancellationToken.None);

        decoded!.Header("content-type").ShouldBe("application/json");
        Encoding.UTF8.GetString(decoded.Payload).ShouldBe("{\"foo\": \"bar\"}");
        EventStreamEncoder.Encode([("content-type", "application/json")], "{\"foo\": \"bar\"}"u8.ToArray()).ShouldBe(message);
    }

    [Fact]
    public async Task Reader_RoundTripsManyMessagesAcrossTinyReads()
    {
        var bytes = Enumerable.Range(0, 20)
            .SelectMany(i => EventStreamEncoder.Encode([(":message-type", "event"), ("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture))], Encoding.UTF8.GetBytes(new string('x', i * 37))))
            .ToArray();
        var reader = new EventStreamReader(new TrickleStream(bytes));

        for (var i = 0; i < 20; i++)
        {
            var message = await reader.ReadAsync(CancellationToken.None);
            message!.Header("n").ShouldBe(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            message.Payload.Length.ShouldBe(i * 37);
        }

        (await reader.ReadAsync(CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task Reader_SkipsNonStringHeadersBySize()
    {
        byte[] raw =
        [
            4, .. "flag"u8, 0,
            4, .. "byte"u8, 2, 7,
            5, .. "short"u8, 3, 0, 1,
            3, .. "int"u8, 4, 0, 0, 0, 1,
            4, .. "long"u8, 5, 0, 0, 0, 0, 0, 0, 0, 1,
            3, .. "bin"u8, 6, 0, 3, 1, 2, 3,
            2, .. "ts"u8, 8, 0, 0, 1, 2, 3, 4, 5, 6,
            4, .. "uuid"u8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
            4, .. "last"u8, 7, 0, 2, .. "ok"u8,
        ];

        var message = await new EventStreamReader(new MemoryStream(EventStreamEncoder.Encode([], [1, 2], raw))).ReadAsync(CancellationToken.None);

        message!.Header("last").ShouldBe("ok");
        message.Headers.Count.ShouldBe(1);
        message.Payload.ShouldBe(new byte[] { 1, 2 });
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(60)]
    public async Task Reader_DetectsCorruption(int position)
    {
        var message = EventStreamEncoder.Chunk("""{"type":"ping"}""");
        message[position] ^= 0x40;

        var error = await Should.ThrowAsync<ModelStreamException>(
            async () => await new EventStreamReader(new MemoryStream(message)).ReadAsync(CancellationToken.None));

        error.Message.ShouldContain("checksum");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(40)]
    public async Task Reader_DetectsTruncation(int keep)
    {
        var message = EventStreamEncoder.Chunk("""{"type":"ping"}""");

        var error = await Should.ThrowAsync<ModelStreamException>(
            async () => await new EventStreamReader(new MemoryStream(message[..keep])).ReadAsync(CancellationToken.None));

        error.Message.ShouldContain("ended in the middle");
    }

    [Fact]
    public async Task Reader_RejectsImpossibleLengths()
    {
        var message = EventStreamEncoder.Encode([], [1]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), 100);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32.Compute(message.AsSpan(0, 8)));

        await Should.ThrowAsync<ModelStreamException>(async () => await new EventStreamReader(new MemoryStream(message)).ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Bedrock_DecodesChunksIntoAnthropicEvents()
    {
        var body = StreamTranscripts.AnthropicToolStream.SelectMany(e => EventStreamEncoder.Chunk(e.Data)).ToArray();
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new TrickleStream(body)) };

        var events = new List<SseEvent>();
        await foreach (var e in ModelProviders.For(ProviderKind.Bedrock).ReadEventsAsync(response, CancellationToken.None))
        {
            events.Add(e);
        }

        events.ShouldBe(StreamTranscripts.AnthropicToolStream.Select(e => e with { Event = System.Text.Json.Nodes.JsonNode.Parse(e.Data)!["type"]!.GetValue<string>() }));
        var meter = new StreamUsageMeter(WireFormat.AnthropicMessages);
        events.ForEach(e => meter.Observe(e));
        meter.Usage.ShouldBe(new TokenUsage(572, 89, 100, 0));
    }

    [Fact]
    public async Task Bedrock_ExceptionFrameThrowsWithItsType()
    {
        var body = EventStreamEncoder.Chunk(StreamTranscripts.AnthropicToolStream[0].Data)
            .Concat(EventStreamEncoder.Exception("throttlingException", "Too many requests, please wait before trying again."))
            .ToArray();
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
        var events = new List<SseEvent>();

        var error = await Should.ThrowAsync<ModelStreamException>(async () =>
        {
            await foreach (var e in ModelProviders.For(ProviderKind.Bedrock).ReadEventsAsync(response, CancellationToken.None))
            {
                events.Add(e);
            }
        });

        events.Count.ShouldBe(1);
        error.ErrorType.ShouldBe("throttlingException");
        error.Kind.ShouldBe(ModelErrorKind.RateLimited);
        error.Message.ShouldBe("Too many requests, please wait before trying again.");
    }

    [Fact]
    public async Task Bedrock_ErrorFrameAndBadChunk()
    {
        var error = EventStreamEncoder.Encode([(":message-type", "error"), (":error-code", "InternalFailure"), (":error-message", "boom")], []);
        var decoded = await new EventStreamReader(new MemoryStream(error)).ReadAsync(CancellationToken.None);
        Should.Throw<ModelStreamException>(() => BedrockProvider.ToEvent(decoded!)).ErrorType.ShouldBe("InternalFailure");

        var bad = new EventStreamMessage(new Dictionary<string, string> { [":message-type"] = "event", [":event-type"] = "chunk" }, "{\"bytes\":\"***\"}"u8.ToArray());
        Should.Throw<ModelStreamException>(() => BedrockProvider.ToEvent(bad));
    }
}
