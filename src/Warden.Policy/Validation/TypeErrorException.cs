namespace Warden.Policy.Validation;

/// <summary>Internal signal for a type error; the typechecker stops at the first error in an environment.</summary>
internal sealed class TypeErrorException(string kind, string message) : Exception(message)
{
    public string Kind { get; } = kind;
}
