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
        switch (_format)
        {
            case WireFormat.OpenAIChat:
                if (e.Data.Length > 0 && e.Data[0] == '{')
                {
                    Scan(e.Data, ScanChat);
                }

                break;
            case WireFormat.AnthropicMessages:
                ObserveAnthropic(e);
                break;
            case WireFormat.OpenAIResponses:
                ObserveResponses(e);
                break;
            default:
                break;
        }
    }

    private void ObserveAnthropic(in SseEvent e)
    {
        switch (e.Event)
        {
            case "content_block_delta":
                OutputChunks++;
                return;
            case "message_start" or "message_delta":
                Scan(e.Data, ScanAnthropic);
                return;
            case null:
                // Some senders omit event names; the data's type says the same.
                if (e.Data.Contains("\"content_block_delta\"", StringComparison.Ordinal))
                {
                    OutputChunks++;
                }
                else if (e.Data.Contains("usage", StringComparison.Ordinal) || e.Data.Contains("stop_reason", StringComparison.Ordinal))
                {
                    Scan(e.Data, ScanAnthropic);
                }

                return;
            default:
                return;
        }
    }

    private void ObserveResponses(in SseEvent e)
    {
        var name = e.Event;
        if (name is null && e.Data.Contains("\"response.", StringComparison.Ordinal))
        {
            name = ReadType(e.Data);
        }

        if (name is null)
        {
            return;
        }

        if (name.EndsWith(".delta", StringComparison.Ordinal))
        {
            OutputChunks++;
        }
        else if (name is "response.completed" or "response.incomplete" or "response.failed")
        {
            Scan(e.Data, ScanResponses);
        }
    }

    private delegate void Scanner(ref Utf8JsonReader reader);

    private static void Scan(string data, Scanner scanner)
    {
        var max = Encoding.UTF8.GetMaxByteCount(data.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(data, buffer);
            var reader = new Utf8JsonReader(buffer[..length]);
            scanner(ref reader);
        }
        catch (JsonException)
        {
            // A malformed event carries no usage we could trust; the stream itself is the provider's business.
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
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

    private static string? ReadType(string data)
    {
        string? type = null;
        Scan(data, (ref Utf8JsonReader reader) =>
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    return;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
                {
                    reader.Skip();
                }
            }
        });
        return type;
    }
}
