using System.CommandLine;
using System.Globalization;
using Warden.Client;
using Warden.Client.Contracts;

namespace Warden.Cli.Commands;

/// <summary><c>warden login|whoami|org|team|user|token</c>: the identity commands, all through <see cref="WardenClient"/>.</summary>
public static class IdentityCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    /// <summary>Adds the commands to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        root.Add(CliContext.OrgOption);
        root.Add(Login(env));
        root.Add(WhoAmI(env));
        root.Add(Orgs(env));
        root.Add(Teams(env));
        root.Add(Users(env));
        root.Add(Tokens(env));
    }

    private static Command Login(CliEnvironment env)
    {
        var server = new Option<string>("--server") { Description = "The Warden server's URL.", Required = true };
        var token = new Option<string>("--token") { Description = "An API token (wdn_...).", Required = true };
        var command = new Command("login", "Check a server and token, then save them as the default profile (mode 0600).") { server, token };
        command.SetHandler(env, async (ctx, ct) =>
        {
            var uri = CliContext.ParseServer(ctx.Parse.GetValue(server)!);
            var secret = ctx.Parse.GetValue(token)!;
            using var client = new WardenClient(uri, secret);
            var me = await client.GetMeAsync(ct).ConfigureAwait(false);
            var org = ctx.Parse.GetValue(CliContext.OrgOption) ?? me.Orgs.FirstOrDefault()?.Name;
            new Profile(uri.ToString(), secret, org).Save(env);
            ctx.Line($"Logged in to {uri} as {me.Name}{(org is null ? string.Empty : $" (org {org})")}.");
            return 0;
        });
        return command;
    }

    private static Command WhoAmI(CliEnvironment env)
    {
        var command = new Command("whoami", "Show who the saved token belongs to.");
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var me = await client.GetMeAsync(ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(me, Json.MeDto);
                return 0;
            }

            ctx.Line($"{me.Name} ({me.DisplayName}){(me.IsSiteAdmin ? ", site administrator" : string.Empty)} on {client.Server}");
            ctx.WriteTable(["Org", "Role"], me.Orgs.Select(o => (IReadOnlyList<string?>)[o.Name, o.Role]));
            return 0;
        });
        return command;
    }

    private static Command Orgs(CliEnvironment env)
    {
        var org = new Command("org", "Orgs you belong to.");
        var list = new Command("list", "List orgs.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var orgs = await client.ListOrgsAsync(ct).ConfigureAwait(false);
            Write(ctx, orgs);
            return 0;
        });
        var name = new Argument<string>("name") { Description = "Org name (lower-case letters, digits, hyphens)." };
        var display = new Option<string?>("--display-name") { Description = "Human-readable name." };
        var create = new Command("create", "Create an org (site administrators).") { name, display };
        create.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            Write(ctx, [await client.CreateOrgAsync(new CreateOrgRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(display)), ct).ConfigureAwait(false)]);
            return 0;
        });
        org.Add(list);
        org.Add(create);
        return org;

        static void Write(CliContext ctx, IReadOnlyList<OrgDto> orgs)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(orgs, Json.IReadOnlyListOrgDto);
                return;
            }

            ctx.WriteTable(["Name", "Display name", "Your role", "Created"], orgs.Select(o => (IReadOnlyList<string?>)[o.Name, o.DisplayName, o.Role, Date(o.CreatedAt)]));
        }
    }

    private static Command Teams(CliEnvironment env)
    {
        var team = new Command("team", "Teams of an org.");
        var list = new Command("list", "List teams.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            Write(ctx, await client.ListTeamsAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });

        var name = new Argument<string>("name") { Description = "Team name." };
        var display = new Option<string?>("--display-name") { Description = "Human-readable name." };
        var description = new Option<string?>("--description") { Description = "What the team is for." };
        var create = new Command("create", "Create a team.") { name, display, description };
        create.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var created = await client.CreateTeamAsync(ctx.RequireOrg(), new CreateTeamRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(display), ctx.Parse.GetValue(description)), ct).ConfigureAwait(false);
            Write(ctx, [created]);
            return 0;
        });

        var deleteName = new Argument<string>("name") { Description = "Team name." };
        var delete = new Command("delete", "Delete a team.") { deleteName };
        delete.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteTeamAsync(ctx.RequireOrg(), ctx.Parse.GetValue(deleteName)!, ct).ConfigureAwait(false);
            ctx.Line($"Deleted team {ctx.Parse.GetValue(deleteName)}.");
            return 0;
        });

        var membersTeam = new Argument<string>("team") { Description = "Team name." };
        var members = new Command("members", "List a team's members.") { membersTeam };
        members.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteUsers(ctx, await client.ListTeamMembersAsync(ctx.RequireOrg(), ctx.Parse.GetValue(membersTeam)!, ct).ConfigureAwait(false));
            return 0;
        });

        var addTeam = new Argument<string>("team") { Description = "Team name." };
        var addUser = new Argument<string>("user") { Description = "User name." };
        var add = new Command("add-member", "Add an org member to a team.") { addTeam, addUser };
        add.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.AddTeamMemberAsync(ctx.RequireOrg(), ctx.Parse.GetValue(addTeam)!, ctx.Parse.GetValue(addUser)!, ct).ConfigureAwait(false);
            ctx.Line($"Added {ctx.Parse.GetValue(addUser)} to {ctx.Parse.GetValue(addTeam)}.");
            return 0;
        });

        var removeTeam = new Argument<string>("team") { Description = "Team name." };
        var removeUser = new Argument<string>("user") { Description = "User name." };
        var remove = new Command("remove-member", "Remove a user from a team.") { removeTeam, removeUser };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.RemoveTeamMemberAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeTeam)!, ctx.Parse.GetValue(removeUser)!, ct).ConfigureAwait(false);
            ctx.Line($"Removed {ctx.Parse.GetValue(removeUser)} from {ctx.Parse.GetValue(removeTeam)}.");
            return 0;
        });

        team.Add(list);
        team.Add(create);
        team.Add(delete);
        team.Add(members);
        team.Add(add);
        team.Add(remove);
        return team;

        static void Write(CliContext ctx, IReadOnlyList<TeamDto> teams)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(teams, Json.IReadOnlyListTeamDto);
                return;
            }

            ctx.WriteTable(["Name", "Display name", "Members", "Description", "Created"],
                teams.Select(t => (IReadOnlyList<string?>)[t.Name, t.DisplayName, t.MemberCount.ToString(CultureInfo.InvariantCulture), t.Description, Date(t.CreatedAt)]));
        }
    }

    private static Command Users(CliEnvironment env)
    {
        var user = new Command("user", "Users of an org.");
        var list = new Command("list", "List the org's users.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteUsers(ctx, await client.ListUsersAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });

        var name = new Argument<string>("name") { Description = "User name." };
        var display = new Option<string?>("--display-name") { Description = "Human-readable name." };
        var email = new Option<string?>("--email") { Description = "Email address." };
        var role = new Option<string>("--role") { Description = "owner, admin, member, auditor or viewer.", DefaultValueFactory = _ => "member" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read a password for web sign-in from standard input." };
        var create = new Command("create", "Create a user in the org.") { name, display, email, role, passwordStdin };
        create.SetHandler(env, async (ctx, ct) =>
        {
            // Passwords never go on the command line, where other users can read them in the process list.
            string? password = ctx.Parse.GetValue(passwordStdin) ? (await ctx.Env.In.ReadLineAsync(ct).ConfigureAwait(false))?.TrimEnd('\r', '\n') : null;
            using var client = ctx.CreateClient();
            var created = await client.CreateUserAsync(ctx.RequireOrg(), new CreateUserRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(display), ctx.Parse.GetValue(email), ctx.Parse.GetValue(role), password), ct).ConfigureAwait(false);
            WriteUsers(ctx, [created]);
            return 0;
        });

        var setName = new Argument<string>("name") { Description = "User name." };
        var setRole = new Argument<string>("role") { Description = "owner, admin, member, auditor or viewer." };
        var set = new Command("set-role", "Change a user's role in the org.") { setName, setRole };
        set.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteUsers(ctx, [await client.UpdateUserAsync(ctx.RequireOrg(), ctx.Parse.GetValue(setName)!, new UpdateUserRequest(ctx.Parse.GetValue(setRole)!), ct).ConfigureAwait(false)]);
            return 0;
        });

        var removeName = new Argument<string>("name") { Description = "User name." };
        var remove = new Command("remove", "Remove a user from the org.") { removeName };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.RemoveUserAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeName)!, ct).ConfigureAwait(false);
            ctx.Line($"Removed {ctx.Parse.GetValue(removeName)} from the org.");
            return 0;
        });

        user.Add(list);
        user.Add(create);
        user.Add(set);
        user.Add(remove);
        return user;
    }

    private static Command Tokens(CliEnvironment env)
    {
        var token = new Command("token", "Your API tokens.");
        var list = new Command("list", "List your tokens.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var tokens = await client.ListTokensAsync(ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(tokens, Json.IReadOnlyListTokenDto);
                return 0;
            }

            ctx.WriteTable(["Id", "Name", "Prefix", "State", "Created", "Expires", "Last used"],
                tokens.Select(t => (IReadOnlyList<string?>)[t.Id, t.Name, t.Prefix + "…", t.State, Date(t.CreatedAt), t.ExpiresAt is { } e ? Date(e) : "never", t.LastUsedAt is { } u ? Date(u) : "—"]));
            return 0;
        });

        var name = new Argument<string>("name") { Description = "A name to recognise the token by." };
        var days = new Option<int?>("--expires-in-days") { Description = "Lifetime in days (default: no expiry)." };
        var create = new Command("create", "Create a token; its secret is printed once.") { name, days };
        create.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var created = await client.CreateTokenAsync(new CreateTokenRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(days)), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(created, Json.CreatedTokenDto);
                return 0;
            }

            ctx.Line($"Created token {created.Token.Name} ({created.Token.Id}). It is shown once:");
            ctx.Line(created.Secret);
            return 0;
        });

        var id = new Argument<string>("id") { Description = "The token id (tok_...)." };
        var revoke = new Command("revoke", "Revoke a token.") { id };
        revoke.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.RevokeTokenAsync(ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            ctx.Line($"Revoked {ctx.Parse.GetValue(id)}.");
            return 0;
        });

        token.Add(list);
        token.Add(create);
        token.Add(revoke);
        return token;
    }

    private static void WriteUsers(CliContext ctx, IReadOnlyList<UserDto> users)
    {
        if (ctx.Json)
        {
            ctx.WriteJson(users, Json.IReadOnlyListUserDto);
            return;
        }

        ctx.WriteTable(["Name", "Display name", "Email", "Role", "Created"],
            users.Select(u => (IReadOnlyList<string?>)[u.Name, u.DisplayName, u.Email, u.Role + (u.IsSiteAdmin ? " (site admin)" : string.Empty), Date(u.CreatedAt)]));
    }

    private static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
