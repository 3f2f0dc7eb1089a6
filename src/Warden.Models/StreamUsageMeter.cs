using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Warden.Models;

/// <summary>
/// Counts usage from a stream's events as they pass, in the upstream format. OpenAI Chat: the usage chunk (sent
/// when the request has <c>stream_options.include_usage</c>) and <c>finish_reason</c>; Anthropic:
/// <c>message_start.message.usage</c> updated by <c>message_delta.usage</c>, and <c>stop_reason</c>; Responses:
/// <c>response.completed</c> (or <c>.incomplete</c>/<c>.failed</c>) <c>response.usage</c>, and the status (or the
/// incomplete reason) as the finish reason. Chunks are scanned with <see cref="Utf8JsonReader"/>, and Anthropic and
/// Responses events are only parsed when their name says they carry usage. One instance per stream; not thread-safe.
/// </summary>
public sealed class StreamUsageMeter
{
    private const int StackLimit = 512;

    private readonly WireFormat _format;
    private long _input;
    private long _output;
    private long _cached;
    private long _cacheWrite;
    private long _anthropicUncachedInput;
    private bool _hasUsage;

    /// <summary>A meter for a stream in <paramref name="format"/>.</summary>
    public StreamUsageMeter(WireFormat format) => _format = format;

    /// <summary>The usage reported so far, or null when the stream has reported none.</summary>
    public TokenUsage? Usage => _hasUsage ? new TokenUsage(_input, _output, _cached, _cacheWrite) : null;

    /// <summary>
    /// Why generation stopped, in the upstream format's words (<c>stop</c>, <c>tool_calls</c>, <c>end_turn</c>,
    /// <c>max_tokens</c>, <c>completed</c>, <c>max_output_tokens</c>, ...), once the stream has said.
    /// </summary>
    public string? FinishReason { get; private set; }

    /// <summary>How many events carried generated output (text, tool-call arguments, refusal or reasoning deltas).</summary>
    public int OutputChunks { get; private set; }

    /// <summary>Takes note of one upstream event.</summary>
    public void Observe(in SseEvent e)
    {
        var data = e.Data ?? "";
        var name = e.Event;
        Span<byte> nameBuffer = stackalloc byte[128];
        scoped ReadOnlySpan<byte> nameBytes = default;
        if (name is not null)
        {
            nameBytes = Encoding.UTF8.GetMaxByteCount(name.Length) <= nameBuffer.Length
                ? nameBuffer[..Encoding.UTF8.GetBytes(name, nameBuffer)]
                : Encoding.UTF8.GetBytes(name);
        }

        var max = Encoding.UTF8.GetMaxByteCount(data.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(data, buffer);
            Observe(nameBytes, name is not null, buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Takes note of one upstream event given as its UTF-8 bytes: the <c>event:</c> name (<paramref name="hasName"/>
    /// false when the event had none) and the data, multi-line data joined with <c>'\n'</c>. The same rules as
    /// <see cref="Observe(in SseEvent)"/>; nothing is decoded to strings except a finish reason.
    /// </summary>
    public void Observe(ReadOnlySpan<byte> name, bool hasName, ReadOnlySpan<byte> data)
    {
        switch (_format)
        {
            case WireFormat.OpenAIChat:
                if (data.Length > 0 && data[0] == (byte)'{')
                {
                    Scan(data, ScanKind.Chat);
                }

                break;
            case WireFormat.AnthropicMessages:
                ObserveAnthropic(name, hasName, data);
                break;
            case WireFormat.OpenAIResponses:
                ObserveResponses(name, hasName, data);
                break;
            default:
                break;
        }
    }

    private void ObserveAnthropic(ReadOnlySpan<byte> name, bool hasName, ReadOnlySpan<byte> data)
    {
        if (!hasName)
        {
            // Some senders omit event names; the data's type says the same.
            if (data.IndexOf("\"content_block_delta\""u8) >= 0)
            {
                OutputChunks++;
            }
            else if (data.IndexOf("usage"u8) >= 0 || data.IndexOf("stop_reason"u8) >= 0)
            {
                Scan(data, ScanKind.Anthropic);
            }

            return;
        }

        if (name.SequenceEqual("content_block_delta"u8))
        {
            OutputChunks++;
        }
        else if (name.SequenceEqual("message_start"u8) || name.SequenceEqual("message_delta"u8))
        {
            Scan(data, ScanKind.Anthropic);
        }
    }

    private void ObserveResponses(ReadOnlySpan<byte> name, bool hasName, ReadOnlySpan<byte> data)
    {
        Span<byte> typeBuffer = stackalloc byte[128];
        scoped var type = name;
        if (!hasName && data.IndexOf("\"response."u8) >= 0)
        {
            hasName = TryReadType(data, typeBuffer, out var length);
            type = typeBuffer[..length];
        }

        if (!hasName)
        {
            return;
        }

        if (type.EndsWith(".delta"u8))
        {
            OutputChunks++;
        }
        else if (type.SequenceEqual("response.completed"u8) || type.SequenceEqual("response.incomplete"u8) || type.SequenceEqual("response.failed"u8))
        {
            Scan(data, ScanKind.Responses);
        }
    }

    private enum ScanKind
    {
        Chat,
        Anthropic,
        Responses,
    }

    private void Scan(ReadOnlySpan<byte> data, ScanKind kind)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            Scan(ref reader, kind);
        }
        catch (JsonException)
        {
            // Text that is not valid UTF-8 was read with replacement characters when events were decoded to strings;
            // read it the same way here, so both paths count the same. Anything else that is malformed carries no
            // usage we could trust; the stream itself is the provider's business.
            if (!System.Text.Unicode.Utf8.IsValid(data))
            {
                ScanRepaired(data, kind);
            }
        }
    }

    private void ScanRepaired(ReadOnlySpan<byte> data, ScanKind kind)
    {
        var repaired = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(data));
        try
        {
            var reader = new Utf8JsonReader(repaired);
            Scan(ref reader, kind);
        }
        catch (JsonException)
        {
            // As above: no usage to trust.
        }
    }

    private void Scan(ref Utf8JsonReader reader, ScanKind kind)
    {
        switch (kind)
        {
            case ScanKind.Chat:
                ScanChat(ref reader);
                break;
            case ScanKind.Anthropic:
                ScanAnthropic(ref reader);
                break;
            default:
                ScanResponses(ref reader);
                break;
        }
    }

    private void ScanChat(ref Utf8JsonReader reader)
    {
        var deltaDepth = -1;
        var output = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == deltaDepth)
            {
                deltaDepth = -1;
                continue;
            }

            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var depth = reader.CurrentDepth;
            if (depth == 1 && reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadUsage(ref reader, anthropic: false);
                }
            }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    FinishReason = reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    deltaDepth = reader.CurrentDepth;
                }
            }
            else if (deltaDepth >= 0 && depth == deltaDepth + 1)
            {
                var isToolCalls = reader.ValueTextEquals("tool_calls"u8);
                var isText = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("refusal"u8)
                    || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8);
                reader.Read();
                if ((isToolCalls && reader.TokenType == JsonTokenType.StartArray)
                    || (isText && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0))
                {
                    output = true;
                }
            }
        }

        if (output)
        {
            OutputChunks++;
        }
    }

    private void ScanAnthropic(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadUsage(ref reader, anthropic: true);
                }
            }
            else if (reader.ValueTextEquals("stop_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    FinishReason = reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ScanResponses(ref Utf8JsonReader reader)
    {
        string? status = null;
        string? reason = null;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var depth = reader.CurrentDepth;
            if (depth == 2 && reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadUsage(ref reader, anthropic: false);
                }
            }
            else if (depth == 2 && reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.String ? reader.GetString() : status;
            }
            else if (depth == 3 && reader.ValueTextEquals("reason"u8))
            {
                reader.Read();
                reason = reader.TokenType == JsonTokenType.String ? reader.GetString() : reason;
            }
            else if (depth == 2 && (reader.ValueTextEquals("output"u8) || reader.ValueTextEquals("instructions"u8) || reader.ValueTextEquals("tools"u8)))
            {
                reader.Read();
                reader.Skip();
            }
        }

        FinishReason = status == "incomplete" && reason is not null ? reason : status ?? FinishReason;
    }

    /// <summary>Reads a usage object (the reader is on its StartObject); later reports override earlier ones field by field.</summary>
    private void ReadUsage(ref Utf8JsonReader reader, bool anthropic)
    {
        var depth = reader.CurrentDepth;
        long? input = null, output = null, cached = null, cacheWrite = null;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            ref long? target = ref input;
            if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                target = ref input;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                target = ref output;
            }
            else if (reader.ValueTextEquals("cached_tokens"u8) || reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                target = ref cached;
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                target = ref cacheWrite;
            }
            else
            {
                continue;
            }

            // Nested counters with the same names (e.g. Anthropic's cache_creation breakdown) are not totals.
            if (reader.CurrentDepth > depth + 2)
            {
                continue;
            }

            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                target = value;
            }
        }

        _hasUsage = true;
        if (anthropic)
        {
            // Anthropic reports the three input figures separately: keep the parts, and sum them for the total.
            if (cached is { } c)
            {
                _cached = c;
            }

            if (cacheWrite is { } w)
            {
                _cacheWrite = w;
            }

            if (output is { } o)
            {
                _output = o;
            }

            _anthropicUncachedInput = input ?? _anthropicUncachedInput;
            _input = _anthropicUncachedInput + _cached + _cacheWrite;
            return;
        }

        _input = input ?? _input;
        _output = output ?? _output;
        _cached = cached ?? _cached;
    }

    /// <summary>The top-level <c>type</c> of a Responses event whose name was not sent, copied into <paramref name="type"/>.</summary>
    private static bool TryReadType(ReadOnlySpan<byte> data, Span<byte> type, out int length)
    {
        length = 0;
        try
        {
            var reader = new Utf8JsonReader(data);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    // Longer names than the buffer are no event this meter knows. (The escaped length is never shorter.)
                    if (reader.ValueSpan.Length > type.Length)
                    {
                        return false;
                    }

                    length = reader.CopyString(type);
                    return true;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: no type.
        }

        return false;
    }
}
