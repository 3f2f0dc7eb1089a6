using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>One server-sent event: its <c>event:</c> name (null when absent) and its <c>data:</c>.</summary>
internal sealed record SseEvent(string? Name, string Data)
{
    /// <summary>The data parsed as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    /// <summary>Splits an SSE body into events, insisting on the framing: <c>event:</c>/<c>data:</c> lines, events separated by one blank line.</summary>
    public static List<SseEvent> ParseAll(string body)
    {
        body.ShouldEndWith("\n\n");
        var events = new List<SseEvent>();
        foreach (var block in body[..^2].Split("\n\n"))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name.ShouldBeNull("one event: line per event");
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.ShouldBeNull("one data: line per event");
                    data = line["data: ".Length..];
                }
                else
                {
                    throw new ShouldAssertException($"Unexpected SSE line '{line}'.");
                }
            }

            events.Add(new SseEvent(name, data.ShouldNotBeNull()));
        }

        return events;
    }
}
