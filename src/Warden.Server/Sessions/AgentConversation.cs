using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Warden.Server.Sessions;

/// <summary>
/// A session's conversation as the model is sent it: each message serialized to JSON once, when it joins, so a model
/// call writes the request by copying bytes instead of cloning and serializing the whole history again at every step
/// (which made a step's cost and garbage grow with the session's length). Messages never change once added.
/// </summary>
internal sealed class AgentConversation
{
    private readonly List<byte[]> _messages = [];

    /// <summary>Messages in the conversation.</summary>
    public int Count => _messages.Count;

    /// <summary>The serialized size of all messages, in bytes (UTF-8).</summary>
    public long Bytes { get; private set; }

    /// <summary>A rough token count (four bytes a token), for deciding when to compact.</summary>
    public long EstimatedTokens => Bytes / 4;

    /// <summary>The first message (the system prompt), serialized; null when empty.</summary>
    public byte[]? First => _messages.Count > 0 ? _messages[0] : null;

    /// <summary>Adds <paramref name="message"/> (serialized now; later changes to the object are not seen).</summary>
    public void Add(JsonObject message) => Add(JsonSerializer.SerializeToUtf8Bytes(message));

    /// <summary>Adds an already serialized message.</summary>
    public void Add(byte[] message)
    {
        _messages.Add(message);
        Bytes += message.Length;
    }

    /// <summary>Removes every message.</summary>
    public void Clear()
    {
        _messages.Clear();
        Bytes = 0;
    }

    /// <summary>Writes the messages as the elements of the array <paramref name="writer"/> is in, then <paramref name="followUp"/> if given.</summary>
    public void WriteTo(Utf8JsonWriter writer, JsonObject? followUp = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var message in _messages)
        {
            writer.WriteRawValue(message, skipInputValidation: true);
        }

        followUp?.WriteTo(writer);
    }

    /// <summary>
    /// The body of a Chat Completions request for <paramref name="model"/>: the messages (and <paramref name="followUp"/>),
    /// and <paramref name="tools"/> (a serialized JSON array of tool definitions) when not empty.
    /// </summary>
    public ReadOnlyMemory<byte> ChatRequest(string model, JsonObject? followUp, ReadOnlyMemory<byte> tools)
    {
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(int.MaxValue / 2, Bytes + tools.Length + 256));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WritePropertyName("messages");
            writer.WriteStartArray();
            WriteTo(writer, followUp);
            writer.WriteEndArray();
            if (!tools.IsEmpty)
            {
                writer.WritePropertyName("tools");
                writer.WriteRawValue(tools.Span, skipInputValidation: true);
                writer.WriteString("tool_choice", "auto");
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
