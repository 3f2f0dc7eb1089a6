using System.Data.Common;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Security;

namespace Warden.Data.Identity;

/// <summary>
/// Users seen through org membership. A user exists once (one name, one password) and belongs to orgs with a role
/// in each; an actor only ever sees users who share an org with it.
/// </summary>
public sealed class UserStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>The signed-in user with their orgs.</summary>
    public async Task<Me> GetMeAsync(Actor actor, OrgStore orgs, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id, name, display_name, email, is_site_admin FROM users WHERE id = @UserId", new { actor.UserId }).ConfigureAwait(false);
        var memberships = await orgs.ListAsync(actor, cancellationToken).ConfigureAwait(false);
        return row is null
            ? new Me(actor.UserId, actor.Name, actor.Name, null, actor.IsSiteAdmin, memberships)
            : new Me(row.Id, row.Name, row.DisplayName, row.Email, row.IsSiteAdmin != 0, memberships);
    }

    /// <summary>The org's members.</summary>
    public async Task<IReadOnlyList<Member>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<MemberRow>(MemberRow.Select + " WHERE m.org_id = @OrgId ORDER BY u.name", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToMember()).ToList();
    }

    /// <summary>One member of the org, or 404 (also when the user exists but is not in this org).</summary>
    public async Task<Member> GetAsync(Actor actor, string org, string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await FindAsync(connection, access, userName).ConfigureAwait(false)).ToMember();
    }

    /// <summary>
    /// Creates a user as a member of the org. Owners and admins may; only owners may create owners.
    /// A password is optional: users without one sign in with API tokens only.
    /// </summary>
    public async Task<Member> CreateAsync(Actor actor, string org, NewUser user, CancellationToken cancellationToken = default)
    {
        Names.Require("user", user.Name);
        var display = Names.RequireText("display name", string.IsNullOrWhiteSpace(user.DisplayName) ? user.Name : user.DisplayName, 100);
        var email = string.IsNullOrWhiteSpace(user.Email) ? null : Names.RequireText("email", user.Email, 254);
        if (email is not null && !email.Contains('@', StringComparison.Ordinal))
        {
            throw WardenException.Invalid("Invalid email: it needs an '@'.");
        }

        var role = Roles.Parse(user.Role ?? "member");
        if (user.Password is not null && PasswordHasher.Weakness(user.Password) is { } weak)
        {
            throw WardenException.Invalid(weak);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        access.RequireManage();
        RequireMayGrant(access, role);
        var now = time.GetUtcNow();
        var id = Ids.New("usr");
        // Hash outside the transaction: PBKDF2 is deliberately slow and must not hold a write lock.
        var hash = user.Password is null ? null : PasswordHasher.Hash(user.Password);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO users (id, name, display_name, email, password_hash, is_site_admin, created_at) VALUES (@id, @Name, @display, @email, @hash, 0, @at)",
                new { id, user.Name, display, email, hash, at = Time.Ms(now) }, tx).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (@OrgId, @id, @role, @at)",
                new { access.OrgId, id, role = role.ToName(), at = Time.Ms(now) }, tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            throw WardenException.Conflict($"A user named '{user.Name}' already exists.");
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "user.create", "user", user.Name,
            new Dictionary<string, string?> { ["role"] = role.ToName(), ["password"] = hash is null ? "none" : "set" }), cancellationToken).ConfigureAwait(false);

        return new Member(id, user.Name, display, email, role, false, false, now);
    }

    /// <summary>Changes a member's role. Only owners grant or take away ownership, and the last owner stays.</summary>
    public async Task<Member> SetRoleAsync(Actor actor, string org, string userName, string roleName, CancellationToken cancellationToken = default)
    {
        var role = Roles.Parse(roleName);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var member = (await FindAsync(connection, access, userName).ConfigureAwait(false)).ToMember();
        access.RequireManage();
        RequireMayGrant(access, role);
        RequireMayGrant(access, member.Role);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "UPDATE org_members SET role = @role WHERE org_id = @OrgId AND user_id = @Id",
            new { role = role.ToName(), access.OrgId, member.Id }, tx).ConfigureAwait(false);
        await RequireAnOwnerAsync(connection, access, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "user.role.update", "user", userName,
            new Dictionary<string, string?> { ["from"] = member.Role.ToName(), ["to"] = role.ToName() }), cancellationToken).ConfigureAwait(false);
        return member with { Role = role };
    }

    /// <summary>Removes a member from the org (and its teams). The user record stays for the audit trail.</summary>
    public async Task RemoveAsync(Actor actor, string org, string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var member = (await FindAsync(connection, access, userName).ConfigureAwait(false)).ToMember();
        access.RequireManage();
        RequireMayGrant(access, member.Role);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "DELETE FROM team_members WHERE user_id = @Id AND team_id IN (SELECT id FROM teams WHERE org_id = @OrgId)",
            new { member.Id, access.OrgId }, tx).ConfigureAwait(false);
        await connection.ExecuteAsync("DELETE FROM org_members WHERE org_id = @OrgId AND user_id = @Id", new { access.OrgId, member.Id }, tx).ConfigureAwait(false);
        await RequireAnOwnerAsync(connection, access, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "user.remove", "user", userName,
            new Dictionary<string, string?> { ["role"] = member.Role.ToName() }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the actor's own password; the current one is required when one is set.</summary>
    public async Task SetOwnPasswordAsync(Actor actor, string? currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        if (PasswordHasher.Weakness(newPassword) is { } weak)
        {
            throw WardenException.Invalid(weak);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var stored = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT password_hash FROM users WHERE id = @UserId", new { actor.UserId }).ConfigureAwait(false);
        if (stored is not null && (currentPassword is null || !PasswordHasher.Verify(currentPassword, stored)))
        {
            throw WardenException.Forbidden("The current password is wrong.");
        }

        await connection.ExecuteAsync(
            "UPDATE users SET password_hash = @hash WHERE id = @UserId", new { hash = PasswordHasher.Hash(newPassword), actor.UserId }).ConfigureAwait(false);
        // Secret fields are recorded only as "changed".
        await _audit.RecordAsync(AuditDrafts.For(actor, AuditDrafts.SiteOrg, "user.password.change", "user", actor.Name,
            new Dictionary<string, string?> { ["password"] = "changed" }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a name and password. Returns the actor, or null for any failure (unknown user, wrong password, no
    /// password set, disabled) so the caller cannot tell which and neither can an attacker.
    /// </summary>
    public async Task<Actor?> VerifyPasswordAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id, name, display_name, password_hash, is_site_admin, disabled_at FROM users WHERE name = @userName",
            new { userName }).ConfigureAwait(false);
        // Hash even when the user is unknown so response time does not reveal which names exist.
        var ok = PasswordHasher.Verify(password, row?.PasswordHash ?? DummyHash);
        return ok && row is { PasswordHash: not null, DisabledAt: null }
            ? new Actor(ActorKind.User, row.Id, row.Name, row.IsSiteAdmin != 0)
            : null;
    }

    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());

    private static void RequireMayGrant(OrgAccess access, Role role)
    {
        if (role == Role.Owner && access.Role != Role.Owner)
        {
            throw WardenException.Forbidden("Only owners may grant, change or remove the owner role.");
        }
    }

    private static async Task RequireAnOwnerAsync(DbConnection connection, OrgAccess access, DbTransaction tx)
    {
        var owners = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM org_members WHERE org_id = @OrgId AND role = 'owner'", new { access.OrgId }, tx).ConfigureAwait(false);
        if (owners == 0)
        {
            throw WardenException.Conflict($"'{access.OrgName}' must keep at least one owner.");
        }
    }

    private static async Task<MemberRow> FindAsync(DbConnection connection, OrgAccess access, string userName) =>
        await connection.QuerySingleOrDefaultAsync<MemberRow>(MemberRow.Select + " WHERE m.org_id = @OrgId AND u.name = @userName", new { access.OrgId, userName }).ConfigureAwait(false)
        ?? throw WardenException.NotFound("User", userName);

    private sealed class UserRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string DisplayName { get; set; } = string.Empty;
        public string? Email { get; set; }
        public string? PasswordHash { get; set; }
        public long IsSiteAdmin { get; set; }
        public long? DisabledAt { get; set; }
    }
}
