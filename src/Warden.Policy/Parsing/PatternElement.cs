namespace Warden.Policy.Parsing;

/// <summary>One element of a <c>like</c> pattern: a wildcard or a literal run of characters.</summary>
public sealed record PatternElement(bool IsWildcard, string Text)
{
    /// <summary>The <c>*</c> wildcard.</summary>
    public static readonly PatternElement Wildcard = new(true, string.Empty);

    /// <summary>A literal run.</summary>
    public static PatternElement Literal(string text) => new(false, text);
}
