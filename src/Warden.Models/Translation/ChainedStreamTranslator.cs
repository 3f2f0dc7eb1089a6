namespace Warden.Models.Translation;

/// <summary>Two translations in a row, through OpenAI Chat (Responses to Anthropic and back).</summary>
internal sealed class ChainedStreamTranslator(IStreamTranslator first, IStreamTranslator second) : IStreamTranslator
{
    private readonly List<SseEvent> _middle = [];

    public void Translate(in SseEvent upstream, List<SseEvent> output)
    {
        _middle.Clear();
        first.Translate(upstream, _middle);
        foreach (var e in _middle)
        {
            second.Translate(e, output);
        }
    }

    public void Complete(List<SseEvent> output)
    {
        _middle.Clear();
        first.Complete(_middle);
        foreach (var e in _middle)
        {
            second.Translate(e, output);
        }

        second.Complete(output);
    }
}
