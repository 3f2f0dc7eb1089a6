namespace Warden.Policy.Evaluation;

/// <summary>A Cedar evaluation error (type error, overflow, missing attribute, ...). The policy that raised it is skipped.</summary>
public sealed class EvaluationException : Exception
{
    /// <summary>Creates an evaluation error.</summary>
    public EvaluationException(string message)
        : base(message)
    {
    }
}
