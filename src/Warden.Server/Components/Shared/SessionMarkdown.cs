using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.AspNetCore.Components;

namespace Warden.Server.Components.Shared;

/// <summary>
/// Renders what a model wrote (answers, summaries) as Markdown for the session pages. The text is untrusted: a prompt
/// injected through a file or a web page can make the model write anything, so raw HTML is shown as text, links keep
/// only http, https and mailto addresses, and images become plain links, so nothing the model wrote runs script or
/// makes the reader's browser fetch an address by itself.
/// </summary>
public static class SessionMarkdown
{
    // No GenericAttributes (it lets the text set attributes such as onclick) and nothing else that passes HTML through.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseAutoLinks()
        .UseTaskLists()
        .UseEmphasisExtras()
        .DisableHtml()
        .Build();

    private static readonly string[] SafeSchemes = ["http", "https", "mailto"];

    /// <summary>The Markdown as sanitised HTML; empty for null or blank text.</summary>
    public static MarkupString Render(string? markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown))
        {
            return new MarkupString(string.Empty);
        }

        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (!IsSafeUrl(link.Url))
            {
                Unwrap(link);
                continue;
            }

            if (link.IsImage)
            {
                // An image would be fetched as soon as the page shows it, which can carry data out in its address.
                link.IsImage = false;
                link.GetAttributes().AddClass("image-link");
                link.Title = "Image (not loaded): " + link.Url;
            }

            link.GetAttributes().AddProperty("rel", "nofollow noopener noreferrer");
        }

        foreach (var link in document.Descendants<AutolinkInline>().ToList())
        {
            if (!IsSafeUrl(link.Url))
            {
                link.ReplaceBy(new LiteralInline(link.Url));
            }
            else
            {
                link.GetAttributes().AddProperty("rel", "nofollow noopener noreferrer");
            }
        }

        return new MarkupString(document.ToHtml(Pipeline));
    }

    /// <summary>
    /// True for an address without a scheme (relative to this server) or with http, https or mailto. The scheme is read
    /// the way browsers read it, ignoring spaces and control characters, so <c>java&#9;script:</c> is caught too.
    /// </summary>
    public static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return true;
        }

        var cleaned = new string(url.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = cleaned.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return true;
        }

        // A colon after a path, query or fragment start is not a scheme's.
        var first = cleaned.IndexOfAny(['/', '?', '#']);
        if (first >= 0 && first < colon)
        {
            return true;
        }

        return SafeSchemes.Contains(cleaned[..colon], StringComparer.OrdinalIgnoreCase);
    }

    // Keeps the link's text and drops the link.
    private static void Unwrap(LinkInline link)
    {
        var anchor = (Inline)link;
        foreach (var child in link.ToList())
        {
            child.Remove();
            anchor.InsertAfter(child);
            anchor = child;
        }

        link.Remove();
    }
}
