using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Server.Policy;

namespace Warden.Cli.Commands;

public static partial class PolicyCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    private static void AddServerCommands(Command policy, CliEnvironment env)
    {
        policy.Add(Push(env));
        policy.Add(Sync(env));
        policy.Add(List(env));
        policy.Add(Show(env));
        policy.Add(Diff(env));
        policy.Add(Explain(env));
    }

    private static Command Push(CliEnvironment env)
    {
        var dir = new Argument<string>("dir") { Description = "The policy bundle folder." };
        var message = new Option<string?>("--message", "-m") { Description = "Why this change (kept with the version and in the audit trail)." };
        var command = new Command("push", "Validate and test a bundle locally, upload it; the server checks again and activates it.") { dir, message };
        command.SetHandler(env, async (ctx, ct) =>
        {
            PolicyBundle bundle;
            try
            {
                bundle = PolicyBundle.FromDirectory(ctx.Parse.GetValue(dir)!);
            }
            catch (PolicyBundleException e)
            {
                throw new CliException($"{e.Errors.Count} problem(s), nothing pushed. First: {e.Errors[0]}");
            }

            using var client = ctx.CreateClient();
            PushPolicyResponse response;
            try
            {
                response = await client.PushPoliciesAsync(ctx.RequireOrg(), new PushPolicyRequest(bundle.Files, ctx.Parse.GetValue(message)), ct).ConfigureAwait(false);
            }
            catch (WardenApiException e) when (e.Errors.Count > 1)
            {
                foreach (var line in e.Errors.Skip(1))
                {
                    env.Error.WriteLine("  " + line);
                }

                throw;
            }

            if (ctx.Json)
            {
                ctx.WriteJson(response, Json.PushPolicyResponse);
                return 0;
            }

            ctx.Line(response.Created
                ? $"Activated {response.Version.Version} ({response.Policies} policies, {response.TestsPassed} tests passed, {response.Version.ContentHash})."
                : $"Unchanged: {response.Version.Version} already has this content ({response.Version.ContentHash}).");
            return 0;
        });
        return command;
    }

    private static Command Sync(CliEnvironment env)
    {
        var repo = new Option<string>("--repo") { Description = "Git repository holding the policies: a URL or a local path.", Required = true };
        var path = new Option<string?>("--path") { Description = "Folder of the bundle inside the repository (default: its root)." };
        var reference = new Option<string?>("--ref") { Description = "Branch or tag (default: the repository's default branch)." };
        var command = new Command("sync", "GitOps: check out a policy repository, validate and test it, and push it when it changed.") { repo, path, reference };
        command.SetHandler(env, async (ctx, ct) =>
        {
            var source = ctx.Parse.GetValue(repo)!;
            using var checkout = await GitCheckout.CloneAsync(source, ctx.Parse.GetValue(reference), ct).ConfigureAwait(false);
            var sub = ctx.Parse.GetValue(path);
            var folder = sub is null ? checkout.Directory : Path.GetFullPath(Path.Combine(checkout.Directory, sub));
            if (!folder.StartsWith(checkout.Directory, StringComparison.Ordinal))
            {
                throw new CliException("--path must stay inside the repository.");
            }

            PolicyBundle bundle;
            try
            {
                bundle = PolicyBundle.FromDirectory(folder);
            }
            catch (PolicyBundleException e)
            {
                throw new CliException($"{e.Errors.Count} problem(s) at {source}@{checkout.Commit[..12]}, nothing pushed. First: {e.Errors[0]}");
            }

            using var client = ctx.CreateClient();
            var message = $"sync {source}{(sub is null ? string.Empty : ":" + sub)}@{checkout.Commit[..12]}";
            var response = await client.PushPoliciesAsync(ctx.RequireOrg(), new PushPolicyRequest(bundle.Files, message), ct).ConfigureAwait(false);
            ctx.Line(response.Created
                ? $"Activated {response.Version.Version} from {checkout.Commit[..12]} ({response.Policies} policies, {response.TestsPassed} tests passed)."
                : $"Unchanged: {response.Version.Version} already matches {checkout.Commit[..12]}.");
            return 0;
        });
        return command;
    }

    private static Command List(CliEnvironment env)
    {
        var command = new Command("list", "The org's policy versions, newest (active) first.");
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var versions = await client.ListPolicyVersionsAsync(ctx.RequireOrg(), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(versions, Json.IReadOnlyListPolicyVersionDto);
                return 0;
            }

            ctx.WriteTable(["Version", "Active", "Created", "By", "Message", "Content hash"],
                versions.Select((v, i) => (IReadOnlyList<string?>)[v.Version, i == 0 ? "yes" : "", v.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), v.CreatedBy, v.Message, v.ContentHash[..19] + "…"]));
            return 0;
        });
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var version = new Argument<string>("version") { Description = "v3, active or default.", DefaultValueFactory = _ => "active" };
        var command = new Command("show", "Print a version's files.") { version };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var v = await client.GetPolicyVersionAsync(ctx.RequireOrg(), ctx.Parse.GetValue(version)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(v, Json.PolicyVersionDto);
                return 0;
            }

            foreach (var (name, content) in v.Files ?? new Dictionary<string, string>())
            {
                ctx.Line($"==> {name} <==");
                ctx.Line(content.TrimEnd());
            }

            return 0;
        });
        return command;
    }

    private static Command Diff(CliEnvironment env)
    {
        var from = new Argument<string>("from") { Description = "Older version (v1, default ...)." };
        var to = new Argument<string>("to") { Description = "Newer version.", DefaultValueFactory = _ => "active" };
        var command = new Command("diff", "Show what changed between two versions.") { from, to };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var diff = await client.DiffPoliciesAsync(ctx.RequireOrg(), ctx.Parse.GetValue(from)!, ctx.Parse.GetValue(to)!, ct).ConfigureAwait(false);
            env.Out.Write(diff.Diff.Length == 0 ? "No differences.\n" : diff.Diff);
            return 0;
        });
        return command;
    }

    private static Command Explain(CliEnvironment env)
    {
        var principal = new Option<string>("--principal") { Description = "Type::\"id\", e.g. Warden::Agent::\"ses_1\".", Required = true };
        var action = new Option<string>("--action") { Description = "Action id, e.g. git.push (or Warden::Action::\"git.push\").", Required = true };
        var resource = new Option<string>("--resource") { Description = "Type::\"id\".", Required = true };
        var context = new Option<string?>("--context") { Description = "Context as JSON, e.g. {\"touchesWorkflows\": true}." };
        var entities = new Option<string?>("--entities") { Description = "A file of entities in Cedar's JSON format." };
        var command = new Command("explain", "Ask the server for a decision and show which policies made it.") { principal, action, resource, context, entities };
        command.SetHandler(env, async (ctx, ct) =>
        {
            var actionText = ctx.Parse.GetValue(action)!;
            var request = new AuthorizeRequest(
                ParseUid(ctx.Parse.GetValue(principal)!),
                actionText.Contains("::", StringComparison.Ordinal) ? ParseUid(actionText) : new EntityRefDto("Warden::Action", actionText),
                ParseUid(ctx.Parse.GetValue(resource)!),
                ParseJson(ctx.Parse.GetValue(context), "--context"),
                ctx.Parse.GetValue(entities) is { } file ? ParseJson(File.Exists(file) ? await File.ReadAllTextAsync(file, ct).ConfigureAwait(false) : throw new CliException($"{file} does not exist."), "--entities") : null);
            using var client = ctx.CreateClient();
            var org = ctx.RequireOrg();
            var answer = await client.AuthorizeAsync(org, request, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(answer, Json.AuthorizeResponse);
                return 0;
            }

            ctx.Line($"{answer.Decision.ToUpperInvariant()}{(answer.ApprovalRequired ? ", after a person approves" : string.Empty)} (policy set {answer.PolicyVersion})");
            var version = await client.GetPolicyVersionAsync(org, answer.PolicyVersion, ct).ConfigureAwait(false);
            var bundle = PolicyBundle.Load(version.Files!);
            if (answer.Determining.Count == 0)
            {
                ctx.Line(answer.Decision == "deny" ? "No policy permits this: Warden denies by default." : string.Empty);
            }

            foreach (var id in answer.Determining)
            {
                var p = bundle.Policies.Policies.First(p => p.Id == id);
                ctx.Line($"  {p.Effect.ToString().ToLowerInvariant()} {id}{(PolicyDecisions.RequiresApproval(bundle, id) ? " (approval required)" : string.Empty)}");
            }

            foreach (var e in answer.Errors)
            {
                ctx.Line($"  skipped {e.PolicyId}: {e.Message}");
            }

            return 0;
        });
        return command;
    }

    private static EntityRefDto ParseUid(string text)
    {
        var i = text.LastIndexOf("::\"", StringComparison.Ordinal);
        if (i <= 0 || !text.EndsWith('"'))
        {
            throw new CliException($"'{text}' is not an entity reference like Warden::User::\"alice\".");
        }

        return new EntityRefDto(text[..i], text[(i + 3)..^1].Replace("\\\"", "\"", StringComparison.Ordinal));
    }

    private static JsonElement? ParseJson(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException($"{option} is not valid JSON: {e.Message}");
        }
    }
}
