namespace Warden.Audit;

/// <summary>How an audited action ended. Encoded canonically as the lowercase names.</summary>
public enum AuditOutcome
{
    /// <summary><c>success</c>.</summary>
    Success = 1,

    /// <summary><c>failure</c>: the action ran and failed (e.g. wrong password).</summary>
    Failure = 2,

    /// <summary><c>denied</c>: a policy or permission check refused it.</summary>
    Denied = 3,

    /// <summary><c>error</c>: an unexpected error prevented a decision or completion.</summary>
    Error = 4,
}
