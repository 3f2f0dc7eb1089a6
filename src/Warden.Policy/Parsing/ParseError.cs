namespace Warden.Policy.Parsing;

/// <summary>A structured syntax error with a 1-based source position.</summary>
/// <param name="Message">What went wrong.</param>
/// <param name="Line">1-based line of the offending token.</param>
/// <param name="Column">1-based column of the offending token.</param>
public sealed record ParseError(string Message, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"{Line}:{Column}: {Message}";
}
