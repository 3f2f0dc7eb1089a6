namespace Warden.Models.Aws;

/// <summary>One decoded <c>application/vnd.amazon.eventstream</c> message: its string headers and payload.</summary>
internal sealed record EventStreamMessage(IReadOnlyDictionary<string, string> Headers, byte[] Payload)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
