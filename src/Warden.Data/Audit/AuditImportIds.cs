using Dapper;

namespace Warden.Data.Audit;

/// <summary>
/// The vendor event ids already imported per org, so an import is idempotent: events whose id was seen before (or
/// repeats within one file) are skipped. Kept when retention erases the events, so an old export cannot bring them
/// back. Callers serialise imports of one org (see the import endpoint).
/// </summary>
public sealed class AuditImportIds(ConnectionFactory connections)
{
    private const int Chunk = 500;

    /// <summary>Which of <paramref name="externalIds"/> were imported into <paramref name="orgId"/> from <paramref name="vendor"/> before.</summary>
    public async Task<HashSet<string>> SeenAsync(string orgId, string vendor, IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (externalIds.Count == 0)
        {
            return seen;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var inList = connections.Dialect == SqlDialect.Postgres ? "external_id = ANY(@ids)" : "external_id IN @ids";
        foreach (var chunk in externalIds.Distinct(StringComparer.Ordinal).Chunk(Chunk))
        {
            seen.UnionWith(await connection.QueryAsync<string>(
                "SELECT external_id FROM audit_import_ids WHERE org_id = @orgId AND vendor = @vendor AND " + inList,
                new { orgId, vendor, ids = chunk }).ConfigureAwait(false));
        }

        return seen;
    }

    /// <summary>Remembers imported events by their vendor id and the sequence they were written at.</summary>
    public async Task RememberAsync(string orgId, string vendor, IReadOnlyList<(string ExternalId, long Sequence)> imported, CancellationToken cancellationToken = default)
    {
        if (imported.Count == 0)
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO audit_import_ids (org_id, vendor, external_id, seq) VALUES (@orgId, @vendor, @ExternalId, @Sequence) ON CONFLICT DO NOTHING",
            imported.Select(i => new { orgId, vendor, i.ExternalId, i.Sequence }), tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
