namespace Warden.ScriptedModel;

/// <summary>A request the scripted model server received, as recorded for tests to inspect.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path, e.g. <c>/v1/chat/completions</c>.</param>
/// <param name="Query">The query string including its <c>?</c>, or empty.</param>
/// <param name="Headers">The request headers (case-insensitive names; repeated values joined with a comma).</param>
/// <param name="Body">The raw request body.</param>
/// <param name="Model">The model asked for: the body's <c>model</c>, the Azure deployment or the Bedrock model id; null when absent.</param>
/// <param name="Format">The API addressed.</param>
/// <param name="Stream">Whether a streamed answer was asked for.</param>
/// <param name="Timestamp">When the request was received.</param>
public sealed record ReceivedRequest(
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    string? Model,
    WireFormat Format,
    bool Stream,
    DateTimeOffset Timestamp)
{
    /// <summary>A header's value, or null when the request did not carry it.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
