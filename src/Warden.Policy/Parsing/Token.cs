namespace Warden.Policy.Parsing;

/// <summary>A token with its raw text and source position (1-based line and column).</summary>
/// <remarks>For strings, <see cref="Text"/> is the raw body between the quotes, still escaped.</remarks>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column);
