namespace Warden.Data.Identity;

/// <summary>The shared row shape for a user seen through an org membership (<c>u</c> = users, <c>m</c> = org_members).</summary>
internal sealed class MemberRow
{
    public const string Select =
        "SELECT u.id, u.name, u.display_name, u.email, m.role, u.is_site_admin, u.disabled_at, u.created_at FROM users u JOIN org_members m ON m.user_id = u.id";

    public string Id { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string DisplayName { get; set; } = string.Empty;
    public string? Email { get; set; }
    public string Role { get; set; } = "viewer";
    public long IsSiteAdmin { get; set; }
    public long? DisabledAt { get; set; }
    public long CreatedAt { get; set; }

    public Member ToMember() => new(Id, Name, DisplayName, Email, Roles.Parse(Role), IsSiteAdmin != 0, DisabledAt is not null, Time.At(CreatedAt));
}
