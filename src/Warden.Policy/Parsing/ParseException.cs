namespace Warden.Policy.Parsing;

/// <summary>Thrown for malformed policy, schema or entity input; carries a structured <see cref="ParseError"/>.</summary>
public sealed class ParseException : Exception
{
    /// <summary>Creates the exception from a structured error.</summary>
    public ParseException(ParseError error)
        : base(error.ToString()) => Error = error;

    /// <summary>Creates an exception at a position.</summary>
    public ParseException(string message, int line, int column)
        : this(new ParseError(message, line, column))
    {
    }

    /// <summary>The structured error.</summary>
    public ParseError Error { get; }
}
