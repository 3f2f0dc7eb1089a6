using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Warden.ScriptedGit.Hosting;

/// <summary>
/// The pull-request APIs of GitHub (<c>/api/v3/</c>), GitLab (<c>/api/v4/</c>) and Gitea (<c>/api/v1/</c>): create,
/// list (filtered by branch), the duplicate and authentication failures each answers with, in each one's own shapes.
/// </summary>
internal sealed class PullRequestEndpoints(ScriptedGitOptions options, PullRequestBook book, string root, Func<Uri> baseAddress)
{
    private const string GitHubDocs = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";

    /// <summary>Answers a request under <c>/api/vN/</c>; <paramref name="segments"/> are the decoded path segments after it.</summary>
    public async Task ServeAsync(HttpContext ctx, PullRequestApi api, string rawPath, string query, IReadOnlyList<string> segments)
    {
        string body;
        using (var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        var answer = Authorized(ctx, api) ? await RouteAsync(ctx, api, Query(query), segments, body).ConfigureAwait(false) : Unauthorized(api);
        book.Record(new ReceivedApiRequest(api, ctx.Request.Method, rawPath, query,
            ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal), body, answer.Status));
        ctx.Response.StatusCode = answer.Status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        if (answer.Location is not null)
        {
            ctx.Response.Headers.Location = answer.Location;
        }

        await ctx.Response.Body.WriteAsync(answer.Json, ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task<Answer> RouteAsync(HttpContext ctx, PullRequestApi api, Dictionary<string, string> query, IReadOnlyList<string> s, string body)
    {
        var post = HttpMethods.IsPost(ctx.Request.Method);
        var get = HttpMethods.IsGet(ctx.Request.Method);
        switch (api)
        {
            case PullRequestApi.GitHub when s.Count == 4 && s[0] == "repos" && s[3] == "pulls" && (post || get):
            case PullRequestApi.Gitea when s.Count == 4 && s[0] == "repos" && s[3] == "pulls" && (post || get):
                var project = s[1] + "/" + s[2];
                if (!RepositoryExists(project))
                {
                    return NotFound(api);
                }

                return post ? await CreatePullAsync(api, project, body).ConfigureAwait(false) : ListPulls(api, project, query);
            case PullRequestApi.GitLab when s.Count == 3 && s[0] == "projects" && s[2] == "merge_requests" && (post || get):
                return !RepositoryExists(s[1])
                    ? Json(404, w => w.WriteString("message", "404 Project Not Found"))
                    : post ? await CreatePullAsync(api, s[1], body).ConfigureAwait(false) : ListPulls(api, s[1], query);
            default:
                return NotFound(api);
        }
    }

    private async Task<Answer> CreatePullAsync(PullRequestApi api, string project, string text)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return api switch
            {
                PullRequestApi.GitHub => Json(400, w => { w.WriteString("message", "Problems parsing JSON"); w.WriteString("documentation_url", GitHubDocs); w.WriteString("status", "400"); }),
                PullRequestApi.GitLab => Json(400, w => w.WriteString("error", "body is not valid JSON")),
                _ => Json(422, w => { w.WriteString("message", "invalid JSON body"); w.WriteString("url", SwaggerUrl); }),
            };
        }

        var (headField, baseField, bodyField) = api == PullRequestApi.GitLab ? ("source_branch", "target_branch", "description") : ("head", "base", "body");
        var head = Text(root, headField);
        var @base = Text(root, baseField);
        var title = Text(root, "title");
        var description = Text(root, bodyField) ?? string.Empty;
        var missing = new[] { (headField, head), (baseField, @base), ("title", title) }.FirstOrDefault(f => string.IsNullOrEmpty(f.Item2)).Item1;
        if (missing is not null)
        {
            return api switch
            {
                PullRequestApi.GitHub => GitHubValidation(w => { w.WriteString("resource", "PullRequest"); w.WriteString("field", missing); w.WriteString("code", "missing_field"); }),
                PullRequestApi.GitLab => Json(400, w => w.WriteString("error", $"{missing} is missing")),
                _ => Json(422, w => { w.WriteString("message", $"[{char.ToUpperInvariant(missing[0])}{missing[1..]}]: Required"); w.WriteString("url", SwaggerUrl); }),
            };
        }

        // GitHub and Gitea accept "owner:branch" for a head in the same repository.
        var owner = project.Split('/')[0];
        if (api != PullRequestApi.GitLab && head!.StartsWith(owner + ":", StringComparison.Ordinal))
        {
            head = head[(owner.Length + 1)..];
        }

        if (options.CheckBranches)
        {
            var bare = RepositoryPath(project);
            foreach (var (field, branch) in new[] { (headField, head!), (baseField, @base!) })
            {
                if (!await BareRepository.HasBranchAsync(bare, branch, options.GitExecutable).ConfigureAwait(false))
                {
                    return api switch
                    {
                        PullRequestApi.GitHub => GitHubValidation(w => { w.WriteString("resource", "PullRequest"); w.WriteString("field", field); w.WriteString("code", "invalid"); }),
                        PullRequestApi.GitLab => Json(422, w => { w.WriteStartArray("message"); w.WriteStringValue($"{(field == headField ? "Source" : "Target")} branch \"{branch}\" does not exist"); w.WriteEndArray(); }),
                        _ => NotFound(api),
                    };
                }
            }
        }

        var (pull, created) = book.Open(api, project, head!, @base!, title!, description, n => WebUrl(api, project, n), options.Time.GetUtcNow());
        if (!created)
        {
            return api switch
            {
                PullRequestApi.GitHub => GitHubValidation(w =>
                {
                    w.WriteString("resource", "PullRequest");
                    w.WriteString("code", "custom");
                    w.WriteString("message", $"A pull request already exists for {owner}:{head}.");
                }),
                PullRequestApi.GitLab => Json(409, w =>
                {
                    w.WriteStartArray("message");
                    w.WriteStringValue($"Another open merge request already exists for this source branch: !{pull.Number}");
                    w.WriteEndArray();
                }),
                _ => Json(409, w =>
                {
                    w.WriteString("message", $"pull request already exists for these targets [id: {pull.Number}, issue_id: {pull.Number}, head_repo_id: 1, base_repo_id: 1, head_branch: {head}, base_branch: {@base}]");
                    w.WriteString("url", SwaggerUrl);
                }),
            };
        }

        return Json(201, w => WritePull(w, pull), ApiUrl(api, project, pull.Number));
    }

    private Answer ListPulls(PullRequestApi api, string project, Dictionary<string, string> query)
    {
        var owner = project.Split('/')[0];
        var state = query.GetValueOrDefault("state") ?? (api == PullRequestApi.GitLab ? "all" : "open");
        IEnumerable<ScriptedPullRequest> pulls = book.Of(project);
        pulls = state switch
        {
            "open" or "opened" => pulls.Where(p => p.Open),
            "closed" => pulls.Where(p => !p.Open),
            _ => pulls,
        };
        switch (api)
        {
            case PullRequestApi.GitHub:
                if (query.GetValueOrDefault("head") is { } head)
                {
                    // GitHub filters by "user:ref-name"; a head without the user matches nothing.
                    pulls = pulls.Where(p => $"{owner}:{p.Head}" == head);
                }

                if (query.GetValueOrDefault("base") is { } b)
                {
                    pulls = pulls.Where(p => p.Base == b);
                }

                break;
            case PullRequestApi.GitLab:
                if (query.GetValueOrDefault("source_branch") is { } source)
                {
                    pulls = pulls.Where(p => p.Head == source);
                }

                if (query.GetValueOrDefault("target_branch") is { } target)
                {
                    pulls = pulls.Where(p => p.Base == target);
                }

                break;
        }

        // Newest first, paged like the hosts (GitHub per_page/page, GitLab per_page/page, Gitea limit/page).
        var list = pulls.OrderByDescending(p => p.Number).ToList();
        var size = Math.Clamp(Int(query.GetValueOrDefault(api == PullRequestApi.Gitea ? "limit" : "per_page")) ?? (api == PullRequestApi.GitLab ? 20 : 30), 1, api == PullRequestApi.Gitea ? 50 : 100);
        var page = Math.Max(1, Int(query.GetValueOrDefault("page")) ?? 1);
        var slice = list.Skip((page - 1) * size).Take(size).ToList();
        return Json(200, w =>
        {
            w.WriteStartArray();
            foreach (var p in slice)
            {
                WritePull(w, p, asValue: true);
            }

            w.WriteEndArray();
        }, array: true);
    }

    private void WritePull(Utf8JsonWriter w, ScriptedPullRequest p) => WritePull(w, p, asValue: false);

    private void WritePull(Utf8JsonWriter w, ScriptedPullRequest p, bool asValue)
    {
        if (asValue)
        {
            w.WriteStartObject();
        }

        var created = p.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var owner = p.Project.Split('/')[0];
        if (p.Api == PullRequestApi.GitLab)
        {
            w.WriteNumber("id", 1000 + p.Number);
            w.WriteNumber("iid", p.Number);
            w.WriteNumber("project_id", 1);
            w.WriteString("title", p.Title);
            w.WriteString("description", p.Body);
            w.WriteString("state", p.Open ? "opened" : "closed");
            w.WriteString("source_branch", p.Head);
            w.WriteString("target_branch", p.Base);
            w.WriteString("web_url", p.Url.ToString());
            w.WriteString("created_at", created);
        }
        else
        {
            w.WriteString("url", ApiUrl(p.Api, p.Project, p.Number));
            w.WriteNumber("id", 1000 + p.Number);
            w.WriteNumber("number", p.Number);
            w.WriteString("state", p.Open ? "open" : "closed");
            w.WriteString("title", p.Title);
            w.WriteString("body", p.Body);
            w.WriteString("html_url", p.Url.ToString());
            w.WriteStartObject("head");
            w.WriteString("label", $"{owner}:{p.Head}");
            w.WriteString("ref", p.Head);
            w.WriteEndObject();
            w.WriteStartObject("base");
            w.WriteString("label", $"{owner}:{p.Base}");
            w.WriteString("ref", p.Base);
            w.WriteEndObject();
            w.WriteString("created_at", created);
        }

        if (asValue)
        {
            w.WriteEndObject();
        }
    }

    private bool Authorized(HttpContext ctx, PullRequestApi api)
    {
        if (options.Token is null)
        {
            return true;
        }

        var authorization = ctx.Request.Headers.Authorization.ToString();
        bool Scheme(string scheme) =>
            authorization.StartsWith(scheme + " ", StringComparison.OrdinalIgnoreCase) && authorization[(scheme.Length + 1)..].Trim() == options.Token;
        return api switch
        {
            PullRequestApi.GitHub => Scheme("Bearer") || Scheme("token"),
            PullRequestApi.GitLab => ctx.Request.Headers["PRIVATE-TOKEN"].ToString() == options.Token || Scheme("Bearer"),
            _ => Scheme("token") || Scheme("Bearer") || ScriptedGitServer.BasicPassword(authorization) == options.Token,
        };
    }

    private Answer Unauthorized(PullRequestApi api) => api switch
    {
        PullRequestApi.GitHub => Json(401, w => { w.WriteString("message", "Bad credentials"); w.WriteString("documentation_url", "https://docs.github.com/rest"); w.WriteString("status", "401"); }),
        PullRequestApi.GitLab => Json(401, w => w.WriteString("message", "401 Unauthorized")),
        _ => Json(401, w => { w.WriteString("message", "user does not exist [uid: 0, name: ]"); w.WriteString("url", SwaggerUrl); }),
    };

    private Answer NotFound(PullRequestApi api) => api switch
    {
        PullRequestApi.GitHub => Json(404, w => { w.WriteString("message", "Not Found"); w.WriteString("documentation_url", "https://docs.github.com/rest"); w.WriteString("status", "404"); }),
        PullRequestApi.GitLab => Json(404, w => w.WriteString("error", "404 Not Found")),
        _ => Json(404, w => { w.WriteStartArray("errors"); w.WriteEndArray(); w.WriteString("message", "The target couldn't be found."); w.WriteString("url", SwaggerUrl); }),
    };

    private static Answer GitHubValidation(Action<Utf8JsonWriter> error) => Json(422, w =>
    {
        w.WriteString("message", "Validation Failed");
        w.WriteStartArray("errors");
        w.WriteStartObject();
        error(w);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("documentation_url", GitHubDocs);
        w.WriteString("status", "422");
    });

    private string SwaggerUrl => new Uri(baseAddress(), "api/swagger").ToString();

    private Uri WebUrl(PullRequestApi api, string project, int number) => new(baseAddress(), api switch
    {
        PullRequestApi.GitHub => $"{project}/pull/{number}",
        PullRequestApi.GitLab => $"{project}/-/merge_requests/{number}",
        _ => $"{project}/pulls/{number}",
    });

    private string ApiUrl(PullRequestApi api, string project, int number) => new Uri(baseAddress(), api switch
    {
        PullRequestApi.GitHub => $"api/v3/repos/{project}/pulls/{number}",
        PullRequestApi.GitLab => $"api/v4/projects/{Uri.EscapeDataString(project)}/merge_requests/{number}",
        _ => $"api/v1/repos/{project}/pulls/{number}",
    }).ToString();

    private bool RepositoryExists(string project) =>
        project.Split('/').All(s => s.Length > 0 && s != "." && s != "..") && File.Exists(Path.Combine(RepositoryPath(project), "HEAD"));

    private string RepositoryPath(string project) => Path.Combine(root, project + ".git");

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(string? value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static Dictionary<string, string> Query(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            result[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }

        return result;
    }

    private static Answer Json(int status, Action<Utf8JsonWriter> write, string? location = null, bool array = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            if (!array)
            {
                writer.WriteStartObject();
            }

            write(writer);
            if (!array)
            {
                writer.WriteEndObject();
            }
        }

        return new Answer(status, stream.ToArray(), location);
    }

    private sealed record Answer(int Status, byte[] Json, string? Location);
}
