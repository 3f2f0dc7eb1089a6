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

    /// <summary>Where a page that found nothing leaves the message for the not-found page (<see cref="HttpContext.Items"/>).</summary>
    public const string NotFoundMessageKey = "Warden.NotFoundMessage";

    /// <summary>The signed-in actor.</summary>
    protected Actor Actor => HttpContext.GetActor();

    /// <summary>Navigation, for the not-found page.</summary>
    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

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
            var status = Api.Problems.Describe(e.Kind).Status;
            if (status == StatusCodes.Status404NotFound)
            {
                // Blazor (.NET 10) sends a page's bare 404 without a body, which would hide the message. Something a
                // submitted form names that is not there is the form's problem: a 400 with the message on the page.
                // A page whose own subject is missing becomes the not-found page, which shows the message.
                if (!HttpMethods.IsPost(HttpContext.Request.Method))
                {
                    HttpContext.Items[NotFoundMessageKey] = e.Message;
                    Navigation.NotFound();
                    return false;
                }

                status = StatusCodes.Status400BadRequest;
            }

            HttpContext.Response.StatusCode = status;
            return false;
        }
    }
}
