namespace Warden.ScriptedModel.Hosting;

/// <summary>Splits streamed text into the pieces a stream sends, without splitting a surrogate pair.</summary>
internal static class TextChunks
{
    /// <summary>Words, each with the whitespace before it ("Hello", " world", "!" stays with its word).</summary>
    public static Range[] ByWords(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var chunks = new List<Range>(text.Length / 5 + 1);
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            // Skip leading whitespace, then the word itself.
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            chunks.Add(start..i);
            start = i;
        }

        return [.. chunks];
    }

    /// <summary>Pieces of at most <paramref name="size"/> characters (one more to keep a surrogate pair whole).</summary>
    public static Range[] BySize(string text, int size)
    {
        if (text.Length == 0)
        {
            return [];
        }

        size = Math.Max(1, size);
        var chunks = new List<Range>(text.Length / size + 1);
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(text.Length, start + size);
            if (end < text.Length && char.IsHighSurrogate(text[end - 1]))
            {
                end++;
            }

            chunks.Add(start..end);
            start = end;
        }

        return [.. chunks];
    }
}
