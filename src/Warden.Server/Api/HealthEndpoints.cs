using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data;

namespace Warden.Server.Api;

/// <summary>
/// <c>/healthz</c> says the process serves requests; <c>/readyz</c> says it can do useful work: the database answers
/// and its schema is exactly the version this build expects.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Maps both probes, without authentication (they reveal nothing but the schema version).</summary>
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthDto("ok"))).AllowAnonymous().WithTags("Health").ExcludeFromDescription();
        app.MapGet("/readyz", async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> (ConnectionFactory connections, MigrationRunner migrations, CancellationToken ct) =>
        {
            var expected = MigrationRunner.LatestVersion(connections.Dialect);
            try
            {
                await using var connection = await connections.OpenAsync(ct);
                await connection.ExecuteScalarAsync<long>("SELECT 1");
                var version = await migrations.GetVersionAsync(ct);
                return version == expected
                    ? TypedResults.Ok(new HealthDto("ready", connections.Dialect.ToString().ToLowerInvariant(), version))
                    : TypedResults.Json(new HealthDto("not-ready", connections.Dialect.ToString().ToLowerInvariant(), version, $"Schema version {version}, expected {expected}."), statusCode: 503);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return TypedResults.Json(new HealthDto("not-ready", connections.Dialect.ToString().ToLowerInvariant(), null, "The database does not answer."), statusCode: 503);
            }
        }).AllowAnonymous().WithTags("Health").ExcludeFromDescription();
    }
}
