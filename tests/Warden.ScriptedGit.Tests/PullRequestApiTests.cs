using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Warden.ScriptedGit.Tests;

/// <summary>The GitHub, GitLab and Gitea pull-request APIs of the scripted host, spoken over plain HTTP.</summary>
public sealed class PullRequestApiTests : IAsyncLifetime
{
    private const string Token = "api-token-0123456789";
    private ScriptedGitServer _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = Token });
        await _host.CreateRepositoryAsync("acme/api", new Dictionary<string, string> { ["README.md"] = "hi\n" });
        using var git = new GitCli();
        var url = _host.CloneUrl("acme/api");
        git.Require(".", "-c", "http.extraHeader=Authorization: Bearer " + Token, "clone", "-q", url.ToString(), "w");
        git.Require("w", "checkout", "-q", "-b", "warden/s-1");
        File.WriteAllText(Path.Combine(git.Folder, "w", "README.md"), "changed\n");
        git.Require("w", "commit", "-qam", "change");
        git.Require("w", "-c", "http.extraHeader=Authorization: Bearer " + Token, "push", "-q", "origin", "warden/s-1");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task GitHub_CreatesAPullRequest_RefusesADuplicateWith422_AndListsItByOwnerColonHead()
    {
        using var http = Client(h => h.Authorization = new AuthenticationHeaderValue("Bearer", Token));
        var request = new { title = "Fix the README", head = "warden/s-1", @base = "main", body = "Done by Warden." };

        var created = await http.PostAsJsonAsync("api/v3/repos/acme/api/pulls", request);
        var duplicate = await http.PostAsJsonAsync("api/v3/repos/acme/api/pulls", request);
        var listed = await http.GetFromJsonAsync<JsonElement>("api/v3/repos/acme/api/pulls?head=acme:warden/s-1&state=open");
        var other = await http.GetFromJsonAsync<JsonElement>("api/v3/repos/acme/api/pulls?head=acme:elsewhere&state=open");

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var pr = await created.Content.ReadFromJsonAsync<JsonElement>();
        pr.GetProperty("number").GetInt32().ShouldBe(1);
        pr.GetProperty("state").GetString().ShouldBe("open");
        pr.GetProperty("html_url").GetString().ShouldBe(new Uri(_host.BaseAddress, "acme/api/pull/1").ToString());
        pr.GetProperty("head").GetProperty("ref").GetString().ShouldBe("warden/s-1");
        duplicate.StatusCode.ShouldBe((HttpStatusCode)422);
        (await duplicate.Content.ReadAsStringAsync()).ShouldContain("A pull request already exists for acme:warden/s-1.");
        listed.GetArrayLength().ShouldBe(1);
        listed[0].GetProperty("number").GetInt32().ShouldBe(1);
        other.GetArrayLength().ShouldBe(0);

        var recorded = _host.PullRequests.ShouldHaveSingleItem();
        recorded.ShouldBe(recorded with { Api = PullRequestApi.GitHub, Project = "acme/api", Head = "warden/s-1", Base = "main", Title = "Fix the README", Body = "Done by Warden.", Open = true });
        _host.ApiRequests[0].Headers["authorization"].ShouldBe("Bearer " + Token);
    }

    [Fact]
    public async Task GitLab_CreatesAMergeRequest_ByEncodedProjectPath_RefusesADuplicateWith409_AndListsBySourceBranch()
    {
        using var http = Client(h => h.Add("PRIVATE-TOKEN", Token));
        var request = new { source_branch = "warden/s-1", target_branch = "main", title = "Fix", description = "Body text" };

        var created = await http.PostAsJsonAsync("api/v4/projects/acme%2Fapi/merge_requests", request);
        var duplicate = await http.PostAsJsonAsync("api/v4/projects/acme%2Fapi/merge_requests", request);
        var listed = await http.GetFromJsonAsync<JsonElement>("api/v4/projects/acme%2Fapi/merge_requests?state=opened&source_branch=warden%2Fs-1&target_branch=main");
        var missingBranch = await http.PostAsJsonAsync("api/v4/projects/acme%2Fapi/merge_requests", request with { source_branch = "nope" });
        var unknownProject = await http.PostAsJsonAsync("api/v4/projects/acme%2Fnope/merge_requests", request);

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var mr = await created.Content.ReadFromJsonAsync<JsonElement>();
        mr.GetProperty("iid").GetInt32().ShouldBe(1);
        mr.GetProperty("state").GetString().ShouldBe("opened");
        mr.GetProperty("web_url").GetString().ShouldBe(new Uri(_host.BaseAddress, "acme/api/-/merge_requests/1").ToString());
        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await duplicate.Content.ReadAsStringAsync()).ShouldContain("Another open merge request already exists for this source branch: !1");
        listed.GetArrayLength().ShouldBe(1);
        missingBranch.StatusCode.ShouldBe((HttpStatusCode)422);
        unknownProject.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var recorded = _host.PullRequests.ShouldHaveSingleItem();
        recorded.Api.ShouldBe(PullRequestApi.GitLab);
        recorded.Body.ShouldBe("Body text");
    }

    [Fact]
    public async Task Gitea_CreatesAPullRequest_RefusesADuplicateWith409_AndListsOpenPullRequests()
    {
        using var http = Client(h => h.Authorization = new AuthenticationHeaderValue("token", Token));
        var request = new { head = "warden/s-1", @base = "main", title = "Fix", body = "Body" };

        var created = await http.PostAsJsonAsync("api/v1/repos/acme/api/pulls", request);
        var duplicate = await http.PostAsJsonAsync("api/v1/repos/acme/api/pulls", request);
        var listed = await http.GetFromJsonAsync<JsonElement>("api/v1/repos/acme/api/pulls?state=open&page=1&limit=50");
        _host.ClosePullRequest("acme/api", 1).ShouldBeTrue();
        var reopened = await http.PostAsJsonAsync("api/v1/repos/acme/api/pulls", request);

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("html_url").GetString().ShouldBe(new Uri(_host.BaseAddress, "acme/api/pulls/1").ToString());
        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await duplicate.Content.ReadAsStringAsync()).ShouldContain("pull request already exists for these targets");
        listed.GetArrayLength().ShouldBe(1);
        listed[0].GetProperty("base").GetProperty("ref").GetString().ShouldBe("main");
        reopened.StatusCode.ShouldBe(HttpStatusCode.Created, "a closed pull request does not block a new one");
        (await reopened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("number").GetInt32().ShouldBe(2);
        (await _host.WaitForPullRequestsAsync(2, TimeSpan.FromSeconds(5))).Select(p => p.Open).ShouldBe([false, true]);
    }

    [Theory]
    [InlineData("api/v3/repos/acme/api/pulls", "Bad credentials")]
    [InlineData("api/v4/projects/acme%2Fapi/merge_requests", "401 Unauthorized")]
    [InlineData("api/v1/repos/acme/api/pulls", "user does not exist")]
    public async Task EachApi_AnswersABadTokenWith401_InItsOwnShape(string path, string message)
    {
        using var http = Client(h =>
        {
            h.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
            h.Add("PRIVATE-TOKEN", "wrong");
        });

        var answer = await http.PostAsJsonAsync(path, new { title = "x", head = "warden/s-1", @base = "main" });

        answer.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await answer.Content.ReadAsStringAsync()).ShouldContain(message);
        _host.PullRequests.ShouldBeEmpty();
        _host.RefusedCount.ShouldBe(1);
    }

    [Fact]
    public async Task GitHub_ChecksFieldsBranchesAndRepositories()
    {
        using var http = Client(h => h.Authorization = new AuthenticationHeaderValue("token", Token));

        var missingTitle = await http.PostAsJsonAsync("api/v3/repos/acme/api/pulls", new { head = "warden/s-1", @base = "main" });
        var missingBranch = await http.PostAsJsonAsync("api/v3/repos/acme/api/pulls", new { title = "x", head = "nope", @base = "main" });
        var unknownRepo = await http.PostAsJsonAsync("api/v3/repos/acme/nope/pulls", new { title = "x", head = "warden/s-1", @base = "main" });
        var notJson = await http.PostAsync("api/v3/repos/acme/api/pulls", new StringContent("{"));

        missingTitle.StatusCode.ShouldBe((HttpStatusCode)422);
        (await missingTitle.Content.ReadAsStringAsync()).ShouldContain("missing_field");
        missingBranch.StatusCode.ShouldBe((HttpStatusCode)422);
        unknownRepo.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        notJson.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        _host.PullRequests.ShouldBeEmpty();
    }

    private HttpClient Client(Action<HttpRequestHeaders> headers)
    {
        var http = new HttpClient { BaseAddress = _host.BaseAddress };
        headers(http.DefaultRequestHeaders);
        return http;
    }
}
