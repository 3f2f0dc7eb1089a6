using System.Security.Cryptography;
using System.Text;
using Dapper;
using AuditEventDraft = Warden.Audit.AuditEventDraft;
using Warden.Data.Audit;
using Warden.Data.Git;
using Warden.Data.Identity;
using Warden.Data.Security;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>Git connections and repositories on both engines: sealed tokens, validation, tenancy, audit and resolution.</summary>
public sealed class GitStoreTests
{
    private const string Token = "ghp_store-test-token-0123456789abcdefABCDEF";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ConnectionTokens_AreSealedAtRest_NeverListed_AndAuditedOnlyAsChanged(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var created = await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("github", "GitHub", Credential: Token));

        created.Kind.ShouldBe("github");
        created.ApiUrl.ShouldBe("https://api.github.com/");
        created.CredentialSet.ShouldBeTrue();
        var listed = (await env.Connections.ListAsync(env.Member, "acme")).ShouldHaveSingleItem();
        listed.CredentialSet.ShouldBeTrue();
        listed.ToString().ShouldNotContain(Token);
        (await env.Connections.ListAsync(env.Auditor, "acme")).Count.ShouldBe(1);
        await using (var c = await env.Db.Connections.OpenAsync())
        {
            var raw = await c.QuerySingleAsync<byte[]>("SELECT credential FROM git_connections");
            Encoding.UTF8.GetString(raw).ShouldNotContain("store-test-token");
        }

        // Settings change without a credential keeps it; an empty one clears it.
        await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("github", "github", "https://ghe.example.com/api/v3"));
        (await env.Connections.GetAsync(env.Admin, "acme", "github")).CredentialSet.ShouldBeTrue();
        (await env.Connections.GetAsync(env.Admin, "acme", "github")).ApiUrl.ShouldBe("https://ghe.example.com/api/v3/");
        (await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("github", "github", Credential: ""))).CredentialSet.ShouldBeFalse();

        env.Audit.Drafts.Select(d => d.Action).ShouldBe(["git.connection.create", "git.connection.update", "git.connection.update"]);
        env.Audit.Drafts.Select(d => d.Details!.Value.GetProperty("credential").GetString()).ShouldBe(["changed", "unchanged", "cleared"]);
        env.Audit.Drafts.ShouldAllBe(d => !d.Details!.Value.GetRawText().Contains(Token));
        env.Audit.Drafts.ShouldAllBe(d => d.OrgId == env.OrgId && d.Resource!.Type == "git_connection");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Connections_CheckKindApiUrlAndNames_AndOnlyManagersChangeThem(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var store = env.Connections;

        (await store.PutAsync(env.Admin, "acme", new GitConnectionSpec("gh", "github", "https://github.com/acme"))).ApiUrl.ShouldBe("https://api.github.com/");
        (await store.PutAsync(env.Admin, "acme", new GitConnectionSpec("gl", "gitlab", "https://gitlab.example.com/api/v4/"))).ApiUrl.ShouldBe("https://gitlab.example.com/");
        (await store.PutAsync(env.Admin, "acme", new GitConnectionSpec("forgejo", "gitea", "https://code.example.com/forgejo"))).ApiUrl.ShouldBe("https://code.example.com/forgejo/");
        var plain = await store.PutAsync(env.Admin, "acme", new GitConnectionSpec("internal", "git", Username: "svc-warden", Credential: "pw"));
        plain.ApiUrl.ShouldBeNull();
        plain.Username.ShouldBe("svc-warden");

        async Task<WardenErrorKind> Fails(Actor actor, GitConnectionSpec spec) => (await Should.ThrowAsync<WardenException>(store.PutAsync(actor, "acme", spec))).Kind;
        (await Fails(env.Admin, new("x", "bitbucket"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "gitlab"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "gitea", "ftp://code.example.com"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "gitlab", "https://user:pw@gitlab.example.com"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "git", "https://git.example.com"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "git", Credential: "pw"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("bad name", "github"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("x", "github", Username: "a:b"))).ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Member, new("x", "github"))).ShouldBe(WardenErrorKind.Forbidden);
        (await Fails(env.Auditor, new("x", "github"))).ShouldBe(WardenErrorKind.Forbidden);
        (await Fails(env.Outsider, new("x", "github"))).ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(store.ListAsync(env.Outsider, "acme"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(store.DeleteAsync(env.Member, "acme", "gh"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(store.GetAsync(env.Admin, "acme", "nope"))).Kind.ShouldBe(WardenErrorKind.NotFound);

        await store.DeleteAsync(env.Admin, "acme", "gh");
        (await store.ListAsync(env.Admin, "acme")).Select(c => c.Name).ShouldBe(["forgejo", "gl", "internal"]);
        (await store.ListAsync(env.Admin, "other")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Repositories_ResolveWithTheirConnectionAndDecryptedToken_ForTheServerOnly(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("gitlab", "gitlab", "https://gitlab.example.com", Credential: Token));

        var repo = await env.Repos.PutAsync(env.Admin, "acme", new GitRepositorySpec("platform/backend/api", "https://gitlab.example.com/platform/backend/api.git", "gitlab", "develop"));
        repo.Kind.ShouldBe("gitlab");
        repo.Connection.ShouldBe("gitlab");
        repo.ProjectPath.ShouldBe("platform/backend/api", "derived from the clone URL");
        repo.DefaultBranch.ShouldBe("develop");
        var local = await env.Repos.PutAsync(env.Admin, "acme", new GitRepositorySpec("demo", "/srv/git/demo.git"));
        local.Kind.ShouldBe("git");
        local.Connection.ShouldBeNull();
        local.DefaultBranch.ShouldBe("main");

        (await env.Repos.ListAsync(env.Member, "acme")).Select(r => r.Name).ShouldBe(["demo", "platform/backend/api"]);
        (await env.Repos.GetAsync(env.Auditor, "acme", "platform/backend/api")).CloneUrl.ShouldBe("https://gitlab.example.com/platform/backend/api.git");

        var resolved = await env.Repos.ResolveAsync(env.Member, "acme", "platform/backend/api");
        resolved.Kind.ShouldBe("gitlab");
        resolved.OrgId.ShouldBe(env.OrgId);
        resolved.Connection!.Credential.ShouldBe(Token);
        resolved.Connection.ApiUrl.ShouldBe("https://gitlab.example.com/");
        resolved.ToString().ShouldNotContain(Token);
        resolved.Connection.ToString().ShouldNotContain(Token);
        (await env.Repos.LoadResolvedAsync(env.OrgId, "platform/backend/api")).Connection!.Credential.ShouldBe(Token);
        (await env.Repos.LoadResolvedAsync(env.OrgId, "demo")).Connection.ShouldBeNull();
        (await env.Repos.LoadResolvedAsync(env.OrgId, "demo")).Kind.ShouldBe("git");
        (await Should.ThrowAsync<WardenException>(env.Repos.ResolveAsync(env.Outsider, "acme", "demo"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(env.Repos.LoadResolvedAsync(env.OrgId, "nope"))).Kind.ShouldBe(WardenErrorKind.NotFound);

        // A new token on the connection is what the next resolution sees.
        await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("gitlab", "gitlab", "https://gitlab.example.com", Credential: "glpat-rotated"));
        (await env.Repos.LoadResolvedAsync(env.OrgId, "platform/backend/api")).Connection!.Credential.ShouldBe("glpat-rotated");

        env.Audit.Drafts.Where(d => d.Action.StartsWith("repo.", StringComparison.Ordinal)).Select(d => d.Action).ShouldBe(["repo.create", "repo.create"]);
        env.Audit.Drafts.ShouldAllBe(d => !d.Details!.Value.GetRawText().Contains(Token));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Repositories_CheckUrlsNamesAndConnections_AndKeepConnectionsInUse(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        await env.Connections.PutAsync(env.Admin, "acme", new GitConnectionSpec("github", "github", Credential: Token));
        await env.Connections.PutAsync(env.Admin, "other", new GitConnectionSpec("theirs", "github"));
        var store = env.Repos;

        async Task<WardenException> Fails(Actor actor, GitRepositorySpec spec) => await Should.ThrowAsync<WardenException>(store.PutAsync(actor, "acme", spec));
        (await Fails(env.Admin, new("api", "git@github.com:acme/api.git", "github"))).Message.ShouldContain("ssh://git@github.com/owner/repo.git");
        (await Fails(env.Admin, new("api", "https://x-access-token:" + Token + "@github.com/acme/api.git", "github"))).Message.ShouldNotContain(Token);
        (await Fails(env.Admin, new("api", "https://me@github.com/acme/api.git"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "ftp://github.com/acme/api.git"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "https://github.com/"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "relative/path"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "/srv/../etc/passwd"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "https://github.com/acme/api.git", "theirs"))).Message.ShouldContain("Unknown Git connection 'theirs'");
        (await Fails(env.Admin, new("api", "file:///srv/git/api.git", "github"))).Message.ShouldContain("--project");
        (await Fails(env.Admin, new("api", "https://github.com/acme/api.git", "github", ProjectPath: "just-one"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "/srv/git/api.git", ProjectPath: "acme/api"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("api", "/srv/git/api.git", DefaultBranch: "bad..branch"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("/api", "/srv/git/api.git"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Admin, new("acme/../api", "/srv/git/api.git"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Member, new("api", "/srv/git/api.git"))).Kind.ShouldBe(WardenErrorKind.Forbidden);

        var ssh = await store.PutAsync(env.Admin, "acme", new GitRepositorySpec("acme/api", "ssh://git@github.com/acme/api.git", "github"));
        ssh.ProjectPath.ShouldBe("acme/api");
        var mirror = await store.PutAsync(env.Admin, "acme", new GitRepositorySpec("mirror", "file:///srv/git/api.git", "github", ProjectPath: "acme/api.git"));
        mirror.ProjectPath.ShouldBe("acme/api");

        // A PUT replaces every setting; the id and creation stay.
        env.Time.Advance(TimeSpan.FromMinutes(1));
        var moved = await store.PutAsync(env.Admin, "acme", new GitRepositorySpec("acme/api", "https://git.example.com/acme/api.git"));
        moved.Id.ShouldBe(ssh.Id);
        moved.Connection.ShouldBeNull();
        moved.ProjectPath.ShouldBeNull();
        moved.UpdatedAt.ShouldBeGreaterThan(moved.CreatedAt);

        (await Should.ThrowAsync<WardenException>(env.Connections.DeleteAsync(env.Admin, "acme", "github"))).Message.ShouldContain("mirror");
        (await Should.ThrowAsync<WardenException>(store.DeleteAsync(env.Member, "acme", "mirror"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        await store.DeleteAsync(env.Admin, "acme", "mirror");
        await env.Connections.DeleteAsync(env.Admin, "acme", "github");
        (await Should.ThrowAsync<WardenException>(store.DeleteAsync(env.Admin, "acme", "mirror"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await store.ListAsync(env.Admin, "acme")).Select(r => r.Name).ShouldBe(["acme/api"]);
        env.Audit.Drafts.ShouldContain(d => d.Action == "repo.update");
        env.Audit.Drafts.ShouldContain(d => d.Action == "repo.delete");
        env.Audit.Drafts.ShouldContain(d => d.Action == "git.connection.delete");
    }

    private sealed class Env : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required FakeTime Time { get; init; }
        public required SecretBox Secrets { get; init; }
        public required RecordingAudit Audit { get; init; }
        public required Actor Admin { get; init; }
        public required Actor Member { get; init; }
        public required Actor Auditor { get; init; }
        public required Actor Outsider { get; init; }
        public required string OrgId { get; init; }
        public GitConnectionStore Connections => new(Db.Connections, Secrets, Time, Audit);
        public RepositoryStore Repos => new(Db.Connections, Secrets, Time, Audit);

        public static async Task<Env> CreateAsync(string engine)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var time = new FakeTime();
            var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
            var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
            var org = await new OrgStore(db.Connections, time).CreateAsync(admin, "acme", null);
            await new OrgStore(db.Connections, time).CreateAsync(admin, "other", null);
            var users = new UserStore(db.Connections, time);
            var ada = await users.CreateAsync(admin, "acme", new NewUser("ada", Role: "member"));
            var aud = await users.CreateAsync(admin, "acme", new NewUser("aud", Role: "auditor"));
            var eve = await users.CreateAsync(admin, "other", new NewUser("eve", Role: "owner"));
            return new Env
            {
                Db = db, Time = time, Secrets = new SecretBox(RandomNumberGenerator.GetBytes(32)), Audit = new RecordingAudit(), Admin = admin,
                Member = new Actor(ActorKind.User, ada.Id, ada.Name, false), Auditor = new Actor(ActorKind.User, aud.Id, aud.Name, false),
                Outsider = new Actor(ActorKind.User, eve.Id, eve.Name, false), OrgId = org.Id,
            };
        }

        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }
}
