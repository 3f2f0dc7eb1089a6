using Dapper;
using Warden.Data.Audit;

namespace Warden.Data.Identity;

/// <summary>Orgs the actor belongs to; site administrators see and create all of them.</summary>
public sealed class OrgStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>The orgs the actor belongs to (all of them for a site administrator).</summary>
    public async Task<IReadOnlyList<Org>> ListAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<OrgRow>(
            """
            SELECT o.id, o.name, o.display_name, o.created_at, m.role
            FROM orgs o LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = @UserId
            WHERE m.user_id IS NOT NULL OR @IsSiteAdmin = 1
            ORDER BY o.name
            """,
            new { actor.UserId, IsSiteAdmin = actor.IsSiteAdmin ? 1 : 0 }).ConfigureAwait(false);
        return rows.Select(r => r.ToOrg(actor)).ToList();
    }

    /// <summary>One org, or 404 when it does not exist or the actor is not in it.</summary>
    public async Task<Org> GetAsync(Actor actor, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, name).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<OrgRow>(
            "SELECT id, name, display_name, created_at FROM orgs WHERE id = @OrgId", new { access.OrgId }).ConfigureAwait(false);
        return row.ToOrg(actor) with { Role = access.Role };
    }

    /// <summary>Creates an org with the actor as its first owner. Only site administrators may.</summary>
    public async Task<Org> CreateAsync(Actor actor, string name, string? displayName, CancellationToken cancellationToken = default)
    {
        Names.Require("org", name);
        var display = Names.RequireText("display name", string.IsNullOrWhiteSpace(displayName) ? name : displayName, 100);
        if (!actor.IsSiteAdmin)
        {
            throw WardenException.Forbidden("Only site administrators may create orgs.");
        }

        var id = Ids.New("org");
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO orgs (id, name, display_name, created_at) VALUES (@id, @name, @display, @at)",
                new { id, name, display, at = Time.Ms(now) }, tx).ConfigureAwait(false);
            if (actor.Kind == ActorKind.User)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (@id, @UserId, 'owner', @at)",
                    new { id, actor.UserId, at = Time.Ms(now) }, tx).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException e) when (UniqueViolation.Is(e))
        {
            throw WardenException.Conflict($"An org named '{name}' already exists.");
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, id, "org.create", "org", name, new Dictionary<string, string?> { ["displayName"] = display }), cancellationToken).ConfigureAwait(false);

        return new Org(id, name, display, now, Role.Owner);
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string DisplayName { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public string? Role { get; set; }

        public Org ToOrg(Actor actor) =>
            new(Id, Name, DisplayName, Time.At(CreatedAt), actor.IsSiteAdmin || Role is null ? Identity.Role.Owner : Roles.Parse(Role));
    }
}
