namespace Warden.Audit;

/// <summary>Who performed an action. Encoded canonically as the snake_case names shown.</summary>
public enum ActorKind
{
    /// <summary><c>user</c>: a human signed in to Warden.</summary>
    User = 1,

    /// <summary><c>agent_session</c>: an AI coding agent session.</summary>
    AgentSession = 2,

    /// <summary><c>api_key</c>: a caller authenticated by an API key or token.</summary>
    ApiKey = 3,

    /// <summary><c>worker</c>: a Warden background worker.</summary>
    Worker = 4,

    /// <summary><c>external_tool</c>: a third-party tool whose events were imported.</summary>
    ExternalTool = 5,

    /// <summary><c>system</c>: Warden itself.</summary>
    System = 6,
}
