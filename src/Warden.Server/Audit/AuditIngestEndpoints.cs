using System.IO.Compression;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Audit;
using Warden.Audit.Interop;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Server.Api;
using Warden.Server.Auth;
using Warden.Server.Hosting;

namespace Warden.Server.Audit;

/// <summary>
/// Getting events from elsewhere into the ledger: the OTLP/HTTP JSON logs receiver (<c>POST /v1/logs</c>, authenticated
/// by an org's ingestion key), ingestion-key management and vendor audit-export import (<c>/api/v1/orgs/{org}/audit/...</c>).
/// Every request is one atomic group: all of its events are written, or none.
/// </summary>
public static class AuditIngestEndpoints
{
    /// <summary>Maps the user-authenticated routes (ingestion keys, import) on the <c>/api/v1</c> group.</summary>
    public static void MapAuditIngestApi(this RouteGroupBuilder api)
    {
        var org = api.MapGroup("/orgs/{org}/audit").WithTags("Audit");
        org.MapPost("/ingest-keys", async Task<Created<CreatedIngestKeyDto>> (string org, CreateIngestKeyRequest request, HttpContext ctx, AuditIngestKeyStore keys) =>
        {
            var created = await keys.CreateAsync(ctx.GetActor(), org, request.Name, request.Vendor, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{Uri.EscapeDataString(org)}/audit/ingest-keys/{created.Key.Id}", new CreatedIngestKeyDto(ToDto(created.Key), created.Secret));
        }).WithName("CreateIngestKey");
        org.MapGet("/ingest-keys", async Task<Ok<List<IngestKeyDto>>> (string org, HttpContext ctx, AuditIngestKeyStore keys) =>
            TypedResults.Ok((await keys.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListIngestKeys");
        org.MapDelete("/ingest-keys/{id}", async Task<NoContent> (string org, string id, HttpContext ctx, AuditIngestKeyStore keys) =>
        {
            await keys.RevokeAsync(ctx.GetActor(), org, id, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("RevokeIngestKey");
        org.MapPost("/import", ImportAsync).WithName("ImportAudit");
    }

    /// <summary>Maps <c>POST /v1/logs</c> outside the user-authenticated group: it checks its own ingestion key.</summary>
    public static void MapOtlpLogsReceiver(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/logs", ReceiveLogsAsync).AllowAnonymous().WithTags("Audit").WithName("OtlpLogs").DisableAntiforgery();
    }

    /// <summary>
    /// OTLP/HTTP JSON logs. Answers as the OTLP spec says: 200 with an <c>ExportLogsServiceResponse</c>, which is <c>{}</c>
    /// because a request is either accepted whole or rejected (never partially, so no <c>partialSuccess</c>). A malformed
    /// request is 400 (problem+json with the reason), which OTLP exporters treat as not retryable.
    /// </summary>
    private static async Task ReceiveLogsAsync(HttpContext ctx, AuditIngestKeyStore keys, AuditLedger ledger, WardenServerOptions options)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        var identity = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await keys.AuthenticateAsync(header["Bearer ".Length..].Trim(), ctx.RequestAborted)
            : null;
        if (identity is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.WriteAsync(ctx, WardenErrorKind.Unauthenticated,
                header.Length == 0 ? "Send an ingestion key: 'Authorization: Bearer wik_...'." : "The ingestion key is not valid or has been revoked.");
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(ctx.Request.ContentType, out var type) || !string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            await Problems.WriteAsync(ctx, 415, Problems.TypeForStatus(415), "Unsupported media type.",
                "Only OTLP/HTTP JSON is accepted: send Content-Type: application/json (exporter protocol http/json).");
            return;
        }

        var body = await ReadBodyAsync(ctx, options.MaxRequestBodyBytes);
        var parsed = OtlpLogsImporter.Parse(body, new OtlpImportOptions { OrgId = identity.OrgId, Vendor = identity.Vendor });
        if (!parsed.Succeeded)
        {
            throw WardenException.Invalid(parsed.Error!);
        }

        var drafts = parsed.Events.Select(d => d with { Source = d.Source with { Vendor = VendorOf(d.Source.Product, identity.Vendor) } }).ToList();
        await AppendAsync(ledger, drafts, ctx.RequestAborted);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync("{}", ctx.RequestAborted);
    }

    /// <summary>Imports run one at a time, so two uploads of one export cannot both pass the duplicate check.</summary>
    private static readonly SemaphoreSlim ImportGate = new(1, 1);

    private static async Task<Ok<AuditImportResultDto>> ImportAsync(string org, string? format, HttpContext ctx, AuditIngestKeyStore keys, AuditLedger ledger, AuditImportIds importIds, WardenServerOptions options)
    {
        var actor = ctx.GetActor();
        var orgId = await keys.RequireImporterAsync(actor, org, ctx.RequestAborted);
        if (!string.Equals(format, "github", StringComparison.OrdinalIgnoreCase))
        {
            throw WardenException.Invalid($"Unknown import format '{format}'; supported: github.");
        }

        var body = await ReadBodyAsync(ctx, options.MaxRequestBodyBytes);
        var parsed = GitHubAuditImporter.Parse(body, orgId);
        if (!parsed.Succeeded)
        {
            throw WardenException.Invalid(parsed.Error!);
        }

        // The importing user is who vouches for these events: record it on each, and the import itself after them.
        // Events the vendor identified and that were imported before (or repeat within the file) are skipped.
        IReadOnlyList<AuditEvent> written;
        var skipped = 0;
        await ImportGate.WaitAsync(ctx.RequestAborted);
        try
        {
            var ids = parsed.Events.Select(d => d.Source.ExternalEventId).OfType<string>().ToList();
            var seen = await importIds.SeenAsync(orgId, "github", ids, ctx.RequestAborted);
            var drafts = new List<AuditEventDraft>(parsed.Events.Count);
            foreach (var d in parsed.Events)
            {
                if (d.Source.ExternalEventId is { } id && !seen.Add(id))
                {
                    skipped++;
                    continue;
                }

                drafts.Add(d with { OnBehalfOf = actor.UserId });
            }

            written = drafts.Count == 0 ? [] : await AppendAsync(ledger, drafts, ctx.RequestAborted);
            await importIds.RememberAsync(orgId, "github", written.Where(e => e.Source.ExternalEventId is not null).Select(e => (e.Source.ExternalEventId!, e.Sequence)).ToList(), CancellationToken.None);
        }
        finally
        {
            ImportGate.Release();
        }

        var result = new AuditImportResultDto(written.Count, written.Count > 0 ? written[0].Sequence : null, written.Count > 0 ? written[^1].Sequence : null, skipped);
        await ledger.RecordAsync(AuditDrafts.For(actor, orgId, "audit.import", "audit_import", "github",
            new Dictionary<string, string?>
            {
                ["format"] = "github",
                ["events"] = written.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["skipped"] = skipped.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["first"] = result.FirstSequence?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["last"] = result.LastSequence?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), ctx.RequestAborted);
        return TypedResults.Ok(result);
    }

    private static async Task<IReadOnlyList<AuditEvent>> AppendAsync(AuditLedger ledger, IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken)
    {
        try
        {
            return await ledger.AppendManyAsync(drafts, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // The writer validates every draft before queueing any, so nothing was written.
            throw WardenException.Invalid("An event cannot be recorded: " + ex.Message);
        }
    }

    /// <summary>The body, gunzipped if sent with <c>Content-Encoding: gzip</c> (as OTLP exporters may), within the size limit.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx, long limit)
    {
        var encoding = ctx.Request.Headers.ContentEncoding.ToString();
        Stream source = ctx.Request.Body;
        GZipStream? gzip = null;
        if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            source = gzip = new GZipStream(ctx.Request.Body, CompressionMode.Decompress, leaveOpen: true);
        }
        else if (encoding.Length > 0 && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            throw WardenException.Invalid($"Content-Encoding '{encoding}' is not supported; use gzip or none.");
        }

        await using (gzip)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            try
            {
                int read;
                while ((read = await source.ReadAsync(chunk, ctx.RequestAborted)) > 0)
                {
                    // Checked here as well as by Kestrel because a small gzip body can expand without bound.
                    if (buffer.Length + read > limit)
                    {
                        throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
                    }

                    buffer.Write(chunk, 0, read);
                }
            }
            catch (InvalidDataException)
            {
                throw WardenException.Invalid("The gzip body is corrupt.");
            }

            return buffer.ToArray();
        }
    }

    /// <summary>Vendors of the agent tools Warden recognises by <c>service.name</c>; otherwise the key's own vendor.</summary>
    private static string VendorOf(string product, string fallback) => product.ToLowerInvariant() switch
    {
        "claude-code" or "claude_code" or "claude" => "anthropic",
        var p when p.StartsWith("codex", StringComparison.Ordinal) => "openai",
        var p when p.StartsWith("gemini", StringComparison.Ordinal) => "google",
        var p when p.StartsWith("copilot", StringComparison.Ordinal) || p.StartsWith("github-copilot", StringComparison.Ordinal) => "github",
        _ => fallback,
    };

    private static IngestKeyDto ToDto(AuditIngestKey k) => new(k.Id, k.Name, k.Vendor, k.Prefix, k.CreatedBy, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
}
