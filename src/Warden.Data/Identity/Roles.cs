namespace Warden.Data.Identity;

/// <summary>Role names on the wire and in the database, and what each role may do.</summary>
public static class Roles
{
    /// <summary>All role names, lower case, strongest first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["owner", "admin", "member", "auditor", "viewer"];

    /// <summary>The wire name of a role.</summary>
    public static string ToName(this Role role) => Names[(int)role];

    /// <summary>Parses a role name (case-insensitive).</summary>
    public static bool TryParse(string? name, out Role role)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                role = (Role)i;
                return true;
            }
        }

        role = Role.Viewer;
        return false;
    }

    /// <summary>Parses a role name or fails with a message naming the valid roles.</summary>
    public static Role Parse(string? name) =>
        TryParse(name, out var role) ? role : throw WardenException.Invalid($"Unknown role '{name}'. Use one of: {string.Join(", ", Names)}.");

    /// <summary>Owners and admins manage teams, users and memberships.</summary>
    public static bool CanManage(this Role role) => role <= Role.Admin;
}
