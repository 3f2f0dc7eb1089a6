using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Server.Auth;

namespace Warden.Server.Components.Shared;

/// <summary>
/// Base for pages behind sign-in: the request's actor, and a helper that runs a store call and turns an expected
/// failure into a message on the page instead of an error page.
/// </summary>
public abstract class WardenComponentBase : ComponentBase
{
    /// <summary>The current request (static server rendering always has one).</summary>
    [CascadingParameter]
    public HttpContext HttpContext { get; set; } = default!;

    /// <summary>The signed-in actor.</summary>
    protected Actor Actor => HttpContext.GetActor();

    /// <summary>The message of the last failed action, shown in an error banner.</summary>
    protected string? Error { get; set; }

    /// <summary>Runs <paramref name="action"/>; an expected failure becomes <see cref="Error"/>.</summary>
    protected async Task<bool> TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(true);
            Error = null;
            return true;
        }
        catch (WardenException e)
        {
            Error = e.Message;
            HttpContext.Response.StatusCode = Api.Problems.Describe(e.Kind).Status;
            return false;
        }
    }
}
