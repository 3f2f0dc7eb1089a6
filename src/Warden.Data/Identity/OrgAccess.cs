using System.Data.Common;
using Dapper;

namespace Warden.Data.Identity;

/// <summary>
/// The actor's standing in one org. Every org-scoped store call starts here, which is what makes tenant isolation a
/// property of the store layer: an org the actor does not belong to resolves to "not found", exactly like an org
/// that does not exist.
/// </summary>
internal sealed record OrgAccess(string OrgId, string OrgName, Role Role)
{
    public static async Task<OrgAccess> ResolveAsync(DbConnection connection, Actor actor, string orgName, DbTransaction? tx = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            """
            SELECT o.id AS Id, o.name AS Name, m.role AS Role
            FROM orgs o LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = @UserId
            WHERE o.name = @orgName
            """,
            new { actor.UserId, orgName }, tx).ConfigureAwait(false);
        if (row is null || (row.Role is null && !actor.IsSiteAdmin))
        {
            throw WardenException.NotFound("Org", orgName);
        }

        // Site administrators act as owners everywhere, whether or not they are members.
        var role = row.Role is null ? Role.Owner : Roles.Parse(row.Role);
        if (actor.IsSiteAdmin)
        {
            role = Role.Owner;
        }

        return new OrgAccess(row.Id, row.Name, role);
    }

    /// <summary>Throws 403 unless the actor may manage this org's teams, users and memberships.</summary>
    public void RequireManage()
    {
        if (!Role.CanManage())
        {
            throw WardenException.Forbidden($"Your role in '{OrgName}' ({Role.ToName()}) may not change it; an owner or admin can.");
        }
    }

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string? Role { get; set; }
    }
}
