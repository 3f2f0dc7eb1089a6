using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>A reusable <see cref="Utf8JsonWriter"/> that produces strings, for writing one event at a time.</summary>
internal sealed class JsonText
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public JsonText() => _writer = new Utf8JsonWriter(_buffer, Options);

    /// <summary>The writer of the document in progress.</summary>
    public Utf8JsonWriter Writer => _writer;

    /// <summary>An empty writer for the next document.</summary>
    public Utf8JsonWriter Start()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    /// <summary>The document written since <see cref="Start"/>.</summary>
    public string Finish()
    {
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}
