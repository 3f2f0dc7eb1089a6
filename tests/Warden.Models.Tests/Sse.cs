using System.Text;

namespace Warden.Models.Tests;

/// <summary>Helpers for reading and writing SSE in tests.</summary>
internal static class Sse
{
    public static async Task<List<SseEvent>> ReadAllAsync(Stream stream)
    {
        using var reader = new SseReader(stream);
        var events = new List<SseEvent>();
        while (await reader.ReadAsync(CancellationToken.None) is { } e)
        {
            events.Add(e);
        }

        return events;
    }

    public static Task<List<SseEvent>> ReadAllAsync(string text, bool trickle = true)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return ReadAllAsync(trickle ? new TrickleStream(bytes) : new MemoryStream(bytes));
    }

    public static string Write(IEnumerable<SseEvent> events)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            SseWriter.Write(buffer, e);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
