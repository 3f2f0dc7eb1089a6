using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Warden.Client.Contracts;

namespace Warden.IntegrationTests.Git;

/// <summary><c>/api/v1/orgs/{org}/git/connections</c> and <c>/repos</c> over raw HTTP: tokens go in and never come out.</summary>
public sealed class GitConnectionsApiTests
{
    private const string Token = "ghp_restsecret0123456789abcdefABCDEF";
    private const string Connections = "api/v1/orgs/default/git/connections";

    [Fact]
    public async Task Connections_TakeTheCredential_ButNoReadOrWriteAnswerReturnsIt()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var http = server.Http(server.AdminToken);

        var put = await http.PutAsJsonAsync($"{Connections}/ghe", new { kind = "github", apiUrl = "https://ghe.example.com/api/v3", credential = Token });
        var keep = await http.PutAsJsonAsync($"{Connections}/ghe", new { kind = "github", apiUrl = "https://ghe2.example.com/api/v3/" });
        var repo = await http.PutAsJsonAsync("api/v1/orgs/default/repos/acme/api", new { cloneUrl = "https://ghe2.example.com/acme/api.git", connection = "ghe" });
        var answers = new[]
        {
            put, keep, repo,
            await http.GetAsync(Connections),
            await http.GetAsync($"{Connections}/ghe"),
            await http.GetAsync("api/v1/orgs/default/repos"),
            await http.GetAsync("api/v1/orgs/default/repos/acme/api"),
        };

        foreach (var answer in answers)
        {
            var text = await answer.Content.ReadAsStringAsync();
            answer.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            text.ShouldNotContain(Token);
            text.ShouldNotContain("credential\"", Case.Insensitive);
        }

        var listed = JsonSerializer.Deserialize(await answers[3].Content.ReadAsStringAsync(), WardenJsonContext.Default.IReadOnlyListGitConnectionDto)!;
        var connection = listed.ShouldHaveSingleItem();
        // A PUT without a credential keeps the stored one.
        (connection.Name, connection.Kind, connection.ApiUrl, connection.CredentialSet).ShouldBe(("ghe", "github", "https://ghe2.example.com/api/v3/", true));
        var repository = JsonSerializer.Deserialize(await answers[6].Content.ReadAsStringAsync(), WardenJsonContext.Default.RepositoryDto)!;
        (repository.Name, repository.Connection, repository.Kind, repository.Project).ShouldBe(("acme/api", "ghe", "github", "acme/api"));

        var cleared = await http.PutAsJsonAsync($"{Connections}/ghe", new { kind = "github", credential = string.Empty });
        (await cleared.Content.ReadFromJsonAsync(WardenJsonContext.Default.GitConnectionDto))!.CredentialSet.ShouldBeFalse();
    }

    [Fact]
    public async Task BadKindUrlOrReference_Is400ProblemJson_AndStoresNothing()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var http = server.Http(server.AdminToken);

        async Task<(HttpStatusCode Status, ProblemDto Problem, string Text)> Put(string path, object body)
        {
            var response = await http.PutAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json", text);
            return (response.StatusCode, JsonSerializer.Deserialize(text, WardenJsonContext.Default.ProblemDto)!, text);
        }

        var badKind = await Put($"{Connections}/x", new { kind = "svn", credential = Token });
        var badScheme = await Put($"{Connections}/x", new { kind = "gitlab", apiUrl = "ftp://gitlab.example.com", credential = Token });
        var noUrl = await Put($"{Connections}/x", new { kind = "gitea", credential = Token });
        var urlWithToken = await Put($"{Connections}/x", new { kind = "gitlab", apiUrl = $"https://oauth2:{Token}@gitlab.example.com", credential = Token });
        var urlWithQuery = await Put($"{Connections}/x", new { kind = "gitlab", apiUrl = $"https://gitlab.example.com/?private_token={Token}", credential = Token });
        var plainWithUrl = await Put($"{Connections}/x", new { kind = "git", apiUrl = "https://git.example.com", username = "deploy", credential = Token });
        var badCredential = await Put($"{Connections}/x", new { kind = "github", credential = " " + Token });
        var badCloneUrl = await Put("api/v1/orgs/default/repos/acme/api", new { cloneUrl = "git@github.com:acme/api.git" });
        var unknownConnection = await Put("api/v1/orgs/default/repos/acme/api", new { cloneUrl = "https://github.com/acme/api.git", connection = "nope" });

        foreach (var (status, problem, text) in new[] { badKind, badScheme, noUrl, urlWithToken, urlWithQuery, plainWithUrl, badCredential, badCloneUrl })
        {
            status.ShouldBe(HttpStatusCode.BadRequest, text);
            problem.Type.ShouldBe("urn:warden:problem:validation");
            text.ShouldNotContain(Token);
        }

        badKind.Problem.Detail.ShouldBe("Invalid connection kind 'svn': use one of github, gitlab, gitea, git.");
        badScheme.Problem.Detail!.ShouldStartWith("Invalid API URL 'ftp://gitlab.example.com'");
        noUrl.Problem.Detail!.ShouldStartWith("A gitea connection needs its API URL");
        urlWithToken.Problem.Detail!.ShouldContain("credentials never go in the URL");
        urlWithQuery.Problem.Detail!.ShouldContain("without a query");
        plainWithUrl.Problem.Detail!.ShouldContain("A plain Git connection has no API URL");
        badCredential.Problem.Detail!.ShouldStartWith("Invalid credential");
        badCloneUrl.Problem.Detail!.ShouldContain("write SSH addresses as URLs");
        unknownConnection.Status.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.NotFound);
        unknownConnection.Problem.Detail!.ShouldContain("nope");

        (await http.GetFromJsonAsync(Connections, WardenJsonContext.Default.IReadOnlyListGitConnectionDto))!.ShouldBeEmpty();
        (await http.GetFromJsonAsync("api/v1/orgs/default/repos", WardenJsonContext.Default.IReadOnlyListRepositoryDto))!.ShouldBeEmpty();
    }
}
