using Dapper;
using Warden.Data.Identity;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>The identity stores on both engines: rules, tenant isolation and token life cycle.</summary>
public sealed class IdentityStoreTests
{
    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TestDatabase db, FakeTime time, Actor admin, string adminToken)
        {
            Db = db;
            Time = time;
            Admin = admin;
            AdminToken = adminToken;
            Orgs = new OrgStore(db.Connections, time);
            Teams = new TeamStore(db.Connections, time);
            Users = new UserStore(db.Connections, time);
            Tokens = new TokenStore(db.Connections, time);
        }

        public TestDatabase Db { get; }
        public FakeTime Time { get; }
        public Actor Admin { get; }
        public string AdminToken { get; }
        public OrgStore Orgs { get; }
        public TeamStore Teams { get; }
        public UserStore Users { get; }
        public TokenStore Tokens { get; }

        public static async Task<Fixture> CreateAsync(string engine)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var time = new FakeTime();
            var token = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
            var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(token!)).Actor!;
            return new Fixture(db, time, admin, token!);
        }

        /// <summary>A user in the org with the given role, and an actor for them.</summary>
        public async Task<Actor> UserAsync(string org, string name, string role)
        {
            await Users.CreateAsync(Admin, org, new NewUser(name, Role: role));
            var token = await Tokens.CreateAsync(await ActorOfAsync(name), "t", null);
            return (await Tokens.AuthenticateAsync(token.Secret)).Actor!;
        }

        private async Task<Actor> ActorOfAsync(string name)
        {
            await using var c = await Db.Connections.OpenAsync();
            var id = await c.ExecuteScalarAsync<string>("SELECT id FROM users WHERE name = @name", new { name });
            return new Actor(ActorKind.User, id!, name, false);
        }

        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Bootstrap_CreatesTheFirstAdminOnceAndItsTokenWorks(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);

        (await new Bootstrapper(f.Db.Connections, f.Time).EnsureAsync("default", "admin")).ShouldBeNull();
        f.Admin.IsSiteAdmin.ShouldBeTrue();
        f.Admin.Name.ShouldBe("admin");
        (await f.Orgs.ListAsync(f.Admin)).Single().Role.ShouldBe(Role.Owner);
        var reissued = await new Bootstrapper(f.Db.Connections, f.Time).IssueAdminTokenAsync(null);
        (await f.Tokens.AuthenticateAsync(reissued)).Actor!.UserId.ShouldBe(f.Admin.UserId);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Teams_AreCreatedListedAndDeletedAndNamesAreUniquePerOrg(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        await f.Teams.CreateAsync(f.Admin, "default", "platform", "Platform", "Builds the platform");
        await f.Teams.CreateAsync(f.Admin, "default", "data", null, null);

        (await f.Teams.ListAsync(f.Admin, "default")).Select(t => t.Name).ShouldBe(["data", "platform"]);
        (await Should.ThrowAsync<WardenException>(f.Teams.CreateAsync(f.Admin, "default", "platform", null, null))).Kind.ShouldBe(WardenErrorKind.Conflict);
        (await Should.ThrowAsync<WardenException>(f.Teams.CreateAsync(f.Admin, "default", "Bad Name", null, null))).Kind.ShouldBe(WardenErrorKind.Validation);

        await f.Teams.DeleteAsync(f.Admin, "default", "data");
        (await f.Teams.ListAsync(f.Admin, "default")).Select(t => t.Name).ShouldBe(["platform"]);
        (await Should.ThrowAsync<WardenException>(f.Teams.GetAsync(f.Admin, "default", "data"))).Kind.ShouldBe(WardenErrorKind.NotFound);

        // The same name is free in another org.
        await f.Orgs.CreateAsync(f.Admin, "other", null);
        await f.Teams.CreateAsync(f.Admin, "other", "platform", null, null);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tenants_AreIsolated_AnotherOrgLooksExactlyLikeAMissingOne(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        await f.Orgs.CreateAsync(f.Admin, "acme", null);
        await f.Teams.CreateAsync(f.Admin, "acme", "secret-team", null, null);
        await f.Users.CreateAsync(f.Admin, "acme", new NewUser("wile", Role: "member"));
        var outsider = await f.UserAsync("default", "bob", "admin");

        var hidden = await Should.ThrowAsync<WardenException>(f.Teams.ListAsync(outsider, "acme"));
        var missing = await Should.ThrowAsync<WardenException>(f.Teams.ListAsync(outsider, "no-such-org"));
        hidden.Kind.ShouldBe(WardenErrorKind.NotFound);
        hidden.Message.ShouldBe(missing.Message.Replace("no-such-org", "acme"));
        (await Should.ThrowAsync<WardenException>(f.Teams.GetAsync(outsider, "acme", "secret-team"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(f.Users.GetAsync(outsider, "acme", "wile"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(f.Teams.CreateAsync(outsider, "acme", "sneaky", null, null))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await f.Orgs.ListAsync(outsider)).Select(o => o.Name).ShouldBe(["default"]);
        // A user of another org cannot be pulled into a team of this one.
        await f.Teams.CreateAsync(outsider, "default", "mine", null, null);
        (await Should.ThrowAsync<WardenException>(f.Teams.AddMemberAsync(outsider, "default", "mine", "wile"))).Kind.ShouldBe(WardenErrorKind.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_LimitWhoMayChangeWhat(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        var member = await f.UserAsync("default", "mia", "member");
        var viewer = await f.UserAsync("default", "vic", "viewer");
        var admin = await f.UserAsync("default", "ada", "admin");

        (await f.Teams.ListAsync(viewer, "default")).ShouldBeEmpty();
        (await Should.ThrowAsync<WardenException>(f.Teams.CreateAsync(member, "default", "x", null, null))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(viewer, "default", new NewUser("eve")))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(f.Orgs.CreateAsync(admin, "mine", null))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        // Admins manage members but may not mint owners or touch owners.
        await f.Users.CreateAsync(admin, "default", new NewUser("newbie", Role: "member"));
        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(admin, "default", new NewUser("boss", Role: "owner")))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(f.Users.SetRoleAsync(admin, "default", "admin", "viewer"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await f.Users.SetRoleAsync(admin, "default", "newbie", "auditor")).Role.ShouldBe(Role.Auditor);
        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(f.Admin, "default", new NewUser("x", Role: "superuser")))).Kind.ShouldBe(WardenErrorKind.Validation);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Orgs_AlwaysKeepAnOwner_AndNothingIsHalfWritten(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);

        var demote = await Should.ThrowAsync<WardenException>(f.Users.SetRoleAsync(f.Admin, "default", "admin", "member"));
        demote.Kind.ShouldBe(WardenErrorKind.Conflict);
        (await f.Users.GetAsync(f.Admin, "default", "admin")).Role.ShouldBe(Role.Owner);
        (await Should.ThrowAsync<WardenException>(f.Users.RemoveAsync(f.Admin, "default", "admin"))).Kind.ShouldBe(WardenErrorKind.Conflict);
        (await f.Users.ListAsync(f.Admin, "default")).Count.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Users_DuplicateNamesAndWeakPasswordsAreRefused_AndPasswordsVerify(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        await f.Users.CreateAsync(f.Admin, "default", new NewUser("ada", "Ada L", "ada@example.com", "member", "a long passphrase"));

        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(f.Admin, "default", new NewUser("ada")))).Kind.ShouldBe(WardenErrorKind.Conflict);
        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(f.Admin, "default", new NewUser("bob", Password: "short")))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(f.Users.CreateAsync(f.Admin, "default", new NewUser("bob", Email: "no-at-sign")))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await f.Users.ListAsync(f.Admin, "default")).Select(u => u.Name).ShouldBe(["ada", "admin"]);
        (await f.Users.VerifyPasswordAsync("ada", "a long passphrase"))!.Name.ShouldBe("ada");
        (await f.Users.VerifyPasswordAsync("ada", "a long passphrasE")).ShouldBeNull();
        (await f.Users.VerifyPasswordAsync("nobody", "a long passphrase")).ShouldBeNull();
        (await f.Users.VerifyPasswordAsync("admin", "anything at all")).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tokens_ExpireAreRevokedRecordLastUseAndStayPrivate(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        var shortLived = await f.Tokens.CreateAsync(f.Admin, "ci", f.Time.GetUtcNow().AddDays(1));
        var revoked = await f.Tokens.CreateAsync(f.Admin, "laptop", null);
        var bob = await f.UserAsync("default", "bob", "member");

        (await f.Tokens.AuthenticateAsync(shortLived.Secret)).Actor.ShouldNotBeNull();
        (await f.Tokens.ListAsync(f.Admin)).Single(t => t.Id == shortLived.Token.Id).LastUsedAt.ShouldBe(f.Time.GetUtcNow());
        await f.Tokens.RevokeAsync(f.Admin, revoked.Token.Id);
        (await f.Tokens.AuthenticateAsync(revoked.Secret)).Failure.ShouldBe("The token has been revoked.");
        f.Time.Advance(TimeSpan.FromDays(1));
        (await f.Tokens.AuthenticateAsync(shortLived.Secret)).Failure.ShouldBe("The token has expired.");
        (await f.Tokens.AuthenticateAsync("wdn_" + new string('x', 43))).Failure.ShouldBe("The token is not valid.");
        (await f.Tokens.AuthenticateAsync("Bearer nonsense")).Actor.ShouldBeNull();
        // Another user's token: invisible and not revocable.
        (await f.Tokens.ListAsync(bob)).Select(t => t.Name).ShouldBe(["t"]);
        (await Should.ThrowAsync<WardenException>(f.Tokens.RevokeAsync(bob, shortLived.Token.Id))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(f.Tokens.CreateAsync(f.Admin, "old", f.Time.GetUtcNow().AddMinutes(-1)))).Kind.ShouldBe(WardenErrorKind.Validation);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tokens_AreStoredOnlyAsHashes(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        var created = await f.Tokens.CreateAsync(f.Admin, "ci", null);

        await using var c = await f.Db.Connections.OpenAsync();
        var rows = (await c.QueryAsync<string>("SELECT prefix || '|' || token_hash FROM api_tokens")).ToList();
        rows.ShouldNotBeEmpty();
        var secretTails = new[] { created.Secret[12..], f.AdminToken[12..] };
        rows.ShouldAllBe(r => !secretTails.Any(r.Contains));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WebSessions_EndOnSignOutAndExpire(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        var sessions = new WebSessionStore(f.Db.Connections, f.Time);
        var a = await sessions.CreateAsync(f.Admin);
        var b = await sessions.CreateAsync(f.Admin);

        (await sessions.AuthenticateAsync(a))!.UserId.ShouldBe(f.Admin.UserId);
        await sessions.DeleteAsync(a);
        (await sessions.AuthenticateAsync(a)).ShouldBeNull();
        f.Time.Advance(WebSessionStore.Lifetime);
        (await sessions.AuthenticateAsync(b)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TeamMembership_AddsListsAndRemoves(string engine)
    {
        await using var f = await Fixture.CreateAsync(engine);
        await f.Teams.CreateAsync(f.Admin, "default", "platform", null, null);
        await f.UserAsync("default", "ada", "member");

        await f.Teams.AddMemberAsync(f.Admin, "default", "platform", "ada");
        (await Should.ThrowAsync<WardenException>(f.Teams.AddMemberAsync(f.Admin, "default", "platform", "ada"))).Kind.ShouldBe(WardenErrorKind.Conflict);
        (await f.Teams.ListMembersAsync(f.Admin, "default", "platform")).Select(m => m.Name).ShouldBe(["ada"]);
        (await f.Teams.GetAsync(f.Admin, "default", "platform")).MemberCount.ShouldBe(1);
        await f.Teams.RemoveMemberAsync(f.Admin, "default", "platform", "ada");
        (await f.Teams.ListMembersAsync(f.Admin, "default", "platform")).ShouldBeEmpty();
    }
}
