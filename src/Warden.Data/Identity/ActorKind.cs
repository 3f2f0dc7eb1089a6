namespace Warden.Data.Identity;

/// <summary>The kinds of actor the identity layer knows. Later layers add agents, API keys and workers.</summary>
public enum ActorKind
{
    /// <summary>A person, through an API token or a web session.</summary>
    User,

    /// <summary>Warden itself, acting under a named system identity.</summary>
    System,
}
