namespace Warden.Models.Translation;

/// <summary>The translator for equal formats: every event passes unchanged. Stateless, so one instance serves all streams.</summary>
internal sealed class PassThroughStream : IStreamTranslator
{
    public static readonly PassThroughStream Instance = new();

    public void Translate(in SseEvent upstream, List<SseEvent> output) => output.Add(upstream);

    public void Complete(List<SseEvent> output)
    {
    }
}
