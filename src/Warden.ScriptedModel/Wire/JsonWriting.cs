using System.Text.Encodings.Web;
using System.Text.Json;

namespace Warden.ScriptedModel.Wire;

/// <summary>Shared JSON writer settings.</summary>
internal static class JsonWriting
{
    /// <summary>
    /// Compact output that leaves non-ASCII text and HTML-sensitive characters unescaped, as the providers do; the
    /// output is only ever read as JSON, never embedded in HTML.
    /// </summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
