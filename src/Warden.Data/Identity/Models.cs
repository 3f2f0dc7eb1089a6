namespace Warden.Data.Identity;

/// <summary>An organisation: the tenant boundary. <see cref="Role"/> is the reading actor's role in it.</summary>
public sealed record Org(string Id, string Name, string DisplayName, DateTimeOffset CreatedAt, Role Role);

/// <summary>A team within an org.</summary>
public sealed record Team(string Id, string OrgId, string Name, string DisplayName, string Description, DateTimeOffset CreatedAt, int MemberCount);

/// <summary>A user as seen within an org, with their role there.</summary>
public sealed record Member(string Id, string Name, string DisplayName, string? Email, Role Role, bool IsSiteAdmin, bool Disabled, DateTimeOffset CreatedAt);

/// <summary>The signed-in user and the orgs they belong to.</summary>
public sealed record Me(string Id, string Name, string DisplayName, string? Email, bool IsSiteAdmin, IReadOnlyList<Org> Orgs);

/// <summary>An API token's public facts; the secret itself is never stored.</summary>
public sealed record ApiToken(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    /// <summary>Usable now: neither revoked nor expired.</summary>
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A freshly created token with its secret, shown to its owner once.</summary>
public sealed record CreatedToken(ApiToken Token, string Secret);
