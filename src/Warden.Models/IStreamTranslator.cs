namespace Warden.Models;

/// <summary>
/// Turns one upstream stream's events into the client's format. Stateful: one instance per stream, not
/// thread-safe. Created by <see cref="WireTranslator.CreateStreamTranslator(WireFormat, WireFormat, string)"/>.
/// </summary>
public interface IStreamTranslator
{
    /// <summary>Appends the client-format events that <paramref name="upstream"/> produces (often none or one) to <paramref name="output"/>.</summary>
    void Translate(in SseEvent upstream, List<SseEvent> output);

    /// <summary>
    /// Call once when the upstream stream has ended. Appends whatever is still owed to the client: the closing
    /// events when the upstream ended without its own, or an error event when it ended before finishing.
    /// </summary>
    void Complete(List<SseEvent> output);
}
