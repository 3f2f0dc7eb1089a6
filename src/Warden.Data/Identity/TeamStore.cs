using System.Data.Common;
using Dapper;
using Warden.Data.Audit;

namespace Warden.Data.Identity;

/// <summary>Teams and team membership inside an org. Reads need membership; changes need owner or admin.</summary>
public sealed class TeamStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    private const string SelectTeams =
        """
        SELECT t.id, t.org_id, t.name, t.display_name, t.description, t.created_at,
               (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id) AS member_count
        FROM teams t
        """;

    /// <summary>The org's teams, by name.</summary>
    public async Task<IReadOnlyList<Team>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TeamRow>(SelectTeams + " WHERE t.org_id = @OrgId ORDER BY t.name", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToTeam()).ToList();
    }

    /// <summary>One team, or 404.</summary>
    public async Task<Team> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await FindAsync(connection, access, name, null).ConfigureAwait(false)).ToTeam();
    }

    /// <summary>Creates a team; 409 when the name is taken in this org.</summary>
    public async Task<Team> CreateAsync(Actor actor, string org, string name, string? displayName, string? description, CancellationToken cancellationToken = default)
    {
        Names.Require("team", name);
        var display = Names.RequireText("display name", string.IsNullOrWhiteSpace(displayName) ? name : displayName, 100);
        var text = Names.RequireText("description", description, 500, allowEmpty: true);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        access.RequireManage();
        var team = new Team(Ids.New("team"), access.OrgId, name, display, text, time.GetUtcNow(), 0);
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO teams (id, org_id, name, display_name, description, created_at) VALUES (@Id, @OrgId, @Name, @DisplayName, @Description, @At)",
                new { team.Id, team.OrgId, team.Name, team.DisplayName, team.Description, At = Time.Ms(team.CreatedAt) }).ConfigureAwait(false);
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            throw WardenException.Conflict($"A team named '{name}' already exists in '{access.OrgName}'.");
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "team.create", "team", name, new Dictionary<string, string?> { ["displayName"] = display }), cancellationToken).ConfigureAwait(false);

        return team;
    }

    /// <summary>Deletes a team and its memberships.</summary>
    public async Task DeleteAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var team = await FindAsync(connection, access, name, null).ConfigureAwait(false);
        access.RequireManage();
        await connection.ExecuteAsync("DELETE FROM teams WHERE id = @Id", new { team.Id }).ConfigureAwait(false);
        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "team.delete", "team", name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The team's members.</summary>
    public async Task<IReadOnlyList<Member>> ListMembersAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var team = await FindAsync(connection, access, name, null).ConfigureAwait(false);
        var rows = await connection.QueryAsync<MemberRow>(
            MemberRow.Select + " JOIN team_members tm ON tm.user_id = u.id WHERE tm.team_id = @TeamId AND m.org_id = @OrgId ORDER BY u.name",
            new { TeamId = team.Id, access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToMember()).ToList();
    }

    /// <summary>Adds an org member to the team; a user outside the org is reported as not found.</summary>
    public async Task AddMemberAsync(Actor actor, string org, string name, string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var team = await FindAsync(connection, access, name, null).ConfigureAwait(false);
        access.RequireManage();
        var userId = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT u.id FROM users u JOIN org_members m ON m.user_id = u.id WHERE u.name = @userName AND m.org_id = @OrgId",
            new { userName, access.OrgId }).ConfigureAwait(false) ?? throw WardenException.NotFound("User", userName);
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO team_members (team_id, user_id, created_at) VALUES (@TeamId, @userId, @At)",
                new { TeamId = team.Id, userId, At = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false);
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            throw WardenException.Conflict($"'{userName}' is already a member of team '{name}'.");
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "team.member.add", "team", name, new Dictionary<string, string?> { ["user"] = userName }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a user from the team.</summary>
    public async Task RemoveMemberAsync(Actor actor, string org, string name, string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var team = await FindAsync(connection, access, name, null).ConfigureAwait(false);
        access.RequireManage();
        var removed = await connection.ExecuteAsync(
            "DELETE FROM team_members WHERE team_id = @TeamId AND user_id = (SELECT id FROM users WHERE name = @userName)",
            new { TeamId = team.Id, userName }).ConfigureAwait(false);
        if (removed == 0)
        {
            throw WardenException.NotFound("Team member", userName);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "team.member.remove", "team", name, new Dictionary<string, string?> { ["user"] = userName }), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TeamRow> FindAsync(DbConnection connection, OrgAccess access, string name, DbTransaction? tx) =>
        await connection.QuerySingleOrDefaultAsync<TeamRow>(SelectTeams + " WHERE t.org_id = @OrgId AND t.name = @name", new { access.OrgId, name }, tx).ConfigureAwait(false)
        ?? throw WardenException.NotFound("Team", name);

    private sealed class TeamRow
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string DisplayName { get; set; } = string.Empty;
        public string Description { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long MemberCount { get; set; }

        public Team ToTeam() => new(Id, OrgId, Name, DisplayName, Description, Time.At(CreatedAt), (int)MemberCount);
    }
}
