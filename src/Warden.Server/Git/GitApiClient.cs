using System.Net.Http.Headers;
using System.Text.Json;
using Warden.Data;

namespace Warden.Server.Git;

/// <summary>
/// The HTTP side shared by the providers: sends one JSON request to a host's API, reads the answer, and turns failures
/// into <see cref="WardenException"/>s that name the host, the status and the host's own message, never the token.
/// </summary>
internal sealed class GitApiClient(HttpClient http)
{
    /// <summary>Sends a request; a non-success status is returned, not thrown. Only unreachable hosts and timeouts throw.</summary>
    public async Task<GitApiResponse> SendAsync(
        string provider, HttpMethod method, Uri uri, Action<HttpRequestHeaders> authenticate, Action<Utf8JsonWriter>? body, string secret, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, uri);
        authenticate(request.Headers);
        if (body is not null)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                body(writer);
                writer.WriteEndObject();
            }

            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            JsonElement? json = null;
            try
            {
                using var doc = JsonDocument.Parse(text);
                json = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Proxies and misconfigured URLs answer HTML; the status and text still say what happened.
            }

            return new GitApiResponse((int)response.StatusCode, response.ReasonPhrase ?? string.Empty, text, json);
        }
        catch (HttpRequestException e)
        {
            throw WardenException.Upstream(Scrub($"{provider} at {uri.GetLeftPart(UriPartial.Authority)} could not be reached: {e.Message}", secret));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw WardenException.Upstream($"{provider} at {uri.GetLeftPart(UriPartial.Authority)} did not answer within {http.Timeout.TotalSeconds:0} seconds.");
        }
    }

    /// <summary>The failure for an answer that was not what <paramref name="doing"/> needed.</summary>
    public static WardenException Failure(string provider, string doing, GitApiResponse response, string secret)
    {
        var hint = response.Status switch
        {
            401 => " Check the connection's token.",
            403 => " The connection's token may lack the permission (GitHub: pull requests read and write; GitLab: api scope; Gitea: repository write).",
            404 => " Check the repository's project path and that the token can see the repository.",
            _ => string.Empty,
        };
        var message = response.ProviderMessage();
        return WardenException.Upstream(Scrub(
            $"{provider} refused {doing} ({response.Status} {response.Reason}){(message.Length > 0 ? ": " + message : ".")}{hint}", secret));
    }

    /// <summary>Removes <paramref name="secret"/> from a message, in case a host or proxy echoes it.</summary>
    public static string Scrub(string message, string secret) =>
        secret.Length == 0 ? message : message.Replace(secret, "***", StringComparison.Ordinal);
}
