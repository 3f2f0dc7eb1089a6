using Warden.Client.Contracts;
using Warden.Data.Identity;

namespace Warden.Server.Api;

/// <summary>Maps store models to API shapes. The API never exposes a stored model directly, so storage can change freely.</summary>
public static class Dto
{
    /// <summary>An org.</summary>
    public static OrgDto From(Org o) => new(o.Id, o.Name, o.DisplayName, o.Role.ToName(), o.CreatedAt);

    /// <summary>A team.</summary>
    public static TeamDto From(Team t) => new(t.Id, t.Name, t.DisplayName, t.Description, t.MemberCount, t.CreatedAt);

    /// <summary>A member.</summary>
    public static UserDto From(Member m) => new(m.Id, m.Name, m.DisplayName, m.Email, m.Role.ToName(), m.IsSiteAdmin, m.Disabled, m.CreatedAt);

    /// <summary>A token; <paramref name="now"/> decides whether it reads active or expired.</summary>
    public static TokenDto From(ApiToken t, DateTimeOffset now) =>
        new(t.Id, t.Name, t.Prefix, t.RevokedAt is not null ? "revoked" : t.IsActive(now) ? "active" : "expired", t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);

    /// <summary>The signed-in user.</summary>
    public static MeDto From(Me me) => new(me.Id, me.Name, me.DisplayName, me.Email, me.IsSiteAdmin, me.Orgs.Select(From).ToList());
}
