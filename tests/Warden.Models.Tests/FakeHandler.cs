using System.Net;
using System.Text;

namespace Warden.Models.Tests;

/// <summary>Answers every request with a fixed body, as a scripted model server would, and keeps the requests.</summary>
internal sealed class FakeHandler(string body, string contentType) : HttpMessageHandler
{
    public List<(HttpRequestMessage Request, string Body)> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add((request, request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken)));
        var content = new StreamContent(new TrickleStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
    }
}
