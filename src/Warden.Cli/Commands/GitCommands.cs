using System.CommandLine;
using System.Globalization;
using Warden.Client.Contracts;

namespace Warden.Cli.Commands;

/// <summary>
/// <c>warden repo add|list|show|remove</c> (the repositories agent sessions work on) and
/// <c>warden git connection set|list|remove</c> (the Git hosts they are cloned from and pushed to), through the REST API.
/// </summary>
public static class GitCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    /// <summary>Adds <c>repo</c> and <c>git</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        root.Add(Repos(env));
        var git = new Command("git", "Git hosts: connections that hold the token used to clone, push and open pull requests.");
        git.Add(Connections(env));
        root.Add(git);
    }

    private static Command Repos(CliEnvironment env)
    {
        var repo = new Command("repo", "Repositories agent sessions can work on.");
        var name = new Argument<string>("NAME") { Description = "The repository's name in Warden, e.g. api or acme/api." };
        var url = new Option<string>("--url") { Description = "Clone URL: https, http, ssh or file URL, or an absolute path to a bare repository; never with credentials.", Required = true };
        var connection = new Option<string?>("--connection") { Description = "The Git connection to clone, push and open pull requests with (warden git connection list); none for a public or local repository." };
        var defaultBranch = new Option<string?>("--default-branch") { Description = "Where tasks start unless they name another branch (default main)." };
        var project = new Option<string?>("--project") { Description = "The host's project path (owner/repo, group/project) for pull requests; read from the URL when omitted." };
        var add = new Command("add", "Add a repository, or replace its settings.") { name, url, connection, defaultBranch, project };
        add.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var saved = await client.PutRepositoryAsync(ctx.RequireOrg(), ctx.Parse.GetValue(name)!,
                new PutRepositoryRequest(ctx.Parse.GetValue(url)!, ctx.Parse.GetValue(connection), ctx.Parse.GetValue(defaultBranch), ctx.Parse.GetValue(project)), ct).ConfigureAwait(false);
            WriteRepos(ctx, [saved]);
            return 0;
        });
        repo.Add(add);

        var list = new Command("list", "List the org's repositories.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteRepos(ctx, await client.ListRepositoriesAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        repo.Add(list);

        var showName = new Argument<string>("NAME") { Description = "Repository name." };
        var show = new Command("show", "Show one repository.") { showName };
        show.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var r = await client.GetRepositoryAsync(ctx.RequireOrg(), ctx.Parse.GetValue(showName)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(r, Json.RepositoryDto);
                return 0;
            }

            ctx.Line($"{r.Name} ({r.Kind})");
            ctx.Line($"  clone URL: {r.CloneUrl}");
            ctx.Line($"  connection: {r.Connection ?? "none"}");
            ctx.Line($"  default branch: {r.DefaultBranch}");
            ctx.Line($"  project: {r.Project ?? "none (branches are pushed, no pull request is opened)"}");
            ctx.Line($"  added by {r.CreatedBy} on {Date(r.CreatedAt)}, updated {Date(r.UpdatedAt)}");
            return 0;
        });
        repo.Add(show);

        var removeName = new Argument<string>("NAME") { Description = "Repository name." };
        var remove = new Command("remove", "Remove a repository from Warden (the repository on its host is untouched).") { removeName };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteRepositoryAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeName)!, ct).ConfigureAwait(false);
            ctx.Line($"Removed repository {ctx.Parse.GetValue(removeName)} from Warden.");
            return 0;
        });
        repo.Add(remove);
        return repo;

        static void WriteRepos(CliContext ctx, IReadOnlyList<RepositoryDto> repos)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(repos, Json.IReadOnlyListRepositoryDto);
                return;
            }

            ctx.WriteTable(["Name", "Clone URL", "Connection", "Kind", "Default branch", "Project", "Updated"],
                repos.Select(r => (IReadOnlyList<string?>)[r.Name, r.CloneUrl, r.Connection ?? "—", r.Kind, r.DefaultBranch, r.Project ?? "—", Date(r.UpdatedAt)]));
        }
    }

    private static Command Connections(CliEnvironment env)
    {
        var connection = new Command("connection", "Connections to Git hosts (GitHub, GitLab, Gitea/Forgejo, or any Git server).");
        var name = new Argument<string>("NAME") { Description = "Connection name, e.g. github." };
        var kind = new Option<string>("--kind") { Description = "github, gitlab, gitea or git (plain Git: branches only, no pull requests).", Required = true };
        var apiUrl = new Option<string?>("--api-url") { Description = "GitHub: the API root (default https://api.github.com); GitLab and Gitea: the instance URL; plain Git: none." };
        var username = new Option<string?>("--username") { Description = "The user name sent with the token on clone and push (needed for plain Git with a token)." };
        var credentialEnv = new Option<string?>("--credential-env") { Description = "Read the token from this environment variable (keeps it out of the command line)." };
        var credentialStdin = new Option<bool>("--credential-stdin") { Description = "Read the token from the first line of standard input." };
        var set = new Command("set", "Add a connection or replace its settings; the token is stored encrypted and never shown again (without one, a stored token is kept).")
            { name, kind, apiUrl, username, credentialEnv, credentialStdin };
        set.SetHandler(env, async (ctx, ct) =>
        {
            string? credential = null;
            if (ctx.Parse.GetValue(credentialEnv) is { } variable)
            {
                if (ctx.Parse.GetValue(credentialStdin))
                {
                    throw new CliException("Pass either --credential-env or --credential-stdin, not both.");
                }

                credential = env.Variable(variable) is { Length: > 0 } value ? value : throw new CliException($"Environment variable {variable} is not set.");
            }
            else if (ctx.Parse.GetValue(credentialStdin))
            {
                credential = (await env.In.ReadLineAsync(ct).ConfigureAwait(false))?.Trim();
                if (string.IsNullOrEmpty(credential))
                {
                    throw new CliException("No token on standard input.");
                }
            }

            using var client = ctx.CreateClient();
            var saved = await client.PutGitConnectionAsync(ctx.RequireOrg(), ctx.Parse.GetValue(name)!,
                new PutGitConnectionRequest(ctx.Parse.GetValue(kind)!, ctx.Parse.GetValue(apiUrl), ctx.Parse.GetValue(username), credential), ct).ConfigureAwait(false);
            WriteConnections(ctx, [saved]);
            return 0;
        });
        connection.Add(set);

        var list = new Command("list", "List connections (never their tokens).");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteConnections(ctx, await client.ListGitConnectionsAsync(ctx.RequireOrg(), ct).ConfigureAwait(false));
            return 0;
        });
        connection.Add(list);

        var removeName = new Argument<string>("NAME") { Description = "Connection name." };
        var remove = new Command("remove", "Delete a connection no repository uses.") { removeName };
        remove.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.DeleteGitConnectionAsync(ctx.RequireOrg(), ctx.Parse.GetValue(removeName)!, ct).ConfigureAwait(false);
            ctx.Line($"Deleted Git connection {ctx.Parse.GetValue(removeName)}.");
            return 0;
        });
        connection.Add(remove);
        return connection;

        static void WriteConnections(CliContext ctx, IReadOnlyList<GitConnectionDto> connections)
        {
            if (ctx.Json)
            {
                ctx.WriteJson(connections, Json.IReadOnlyListGitConnectionDto);
                return;
            }

            ctx.WriteTable(["Name", "Kind", "API URL", "User name", "Token", "Updated"],
                connections.Select(c => (IReadOnlyList<string?>)[c.Name, c.Kind, c.ApiUrl ?? "—", c.Username ?? "—", c.CredentialSet ? "set" : "none", Date(c.UpdatedAt)]));
        }
    }

    private static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
