namespace Warden.Data.Identity;

/// <summary>Who is acting. Every store call carries one; the store decides what it may see and do.</summary>
/// <param name="Kind">A person (through a token or web session) or a named system actor.</param>
/// <param name="UserId">The user's id; for system actors a stable <c>system:&lt;name&gt;</c> id.</param>
/// <param name="Name">The user name or system actor name, for audit and display.</param>
/// <param name="IsSiteAdmin">Site administrators may create orgs and act in every org as owner.</param>
/// <param name="TokenId">The API token that authenticated this request, if any.</param>
public sealed record Actor(ActorKind Kind, string UserId, string Name, bool IsSiteAdmin, string? TokenId = null)
{
    /// <summary>A named system actor for background work and first-start setup.</summary>
    public static Actor System(string name) => new(ActorKind.System, $"system:{name}", name, IsSiteAdmin: true);
}
