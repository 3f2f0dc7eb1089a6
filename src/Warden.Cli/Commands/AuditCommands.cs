using System.CommandLine;
using System.Globalization;
using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;

namespace Warden.Cli.Commands;

/// <summary><c>warden audit verify|search|tail|export|keys|import|ingest-key|retention|hold</c>.</summary>
public static class AuditCommands
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;

    /// <summary>Adds <c>audit</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var audit = new Command("audit", "The tamper-evident audit trail.");
        audit.Add(Verify(env));
        audit.Add(Search(env));
        audit.Add(Tail(env));
        audit.Add(Export(env));
        audit.Add(Keys(env));
        audit.Add(Import(env));
        audit.Add(IngestKeys(env));
        audit.Add(Retention(env));
        audit.Add(Holds(env));
        root.Add(audit);
    }

    private static Command Verify(CliEnvironment env)
    {
        var data = new Option<string?>("--data") { Description = "Verify the database in this data folder directly (offline)." };
        var database = new Option<string?>("--database") { Description = "Verify this database directly (SQLite path or PostgreSQL connection string)." };
        var file = new Option<string?>("--file") { Description = "Verify an exported file (from 'warden audit export') offline." };
        var keys = new Option<string[]>("--public-key") { Description = "Trusted public key (PEM file); repeat for rotated keys. Required with --file.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("verify", "Check the hash chain and signed checkpoints; exits non-zero naming the first bad sequence number.") { data, database, file, keys };
        command.SetHandler(env, async (ctx, ct) =>
        {
            var keyFiles = ctx.Parse.GetValue(keys) ?? [];
            VerificationReport report;
            if (ctx.Parse.GetValue(file) is { } path)
            {
                if (keyFiles.Length == 0)
                {
                    throw new CliException("Verifying a file needs the public key: --public-key FILE (get it with 'warden audit keys').");
                }

                if (!File.Exists(path))
                {
                    throw new CliException($"{path} does not exist.");
                }

                await using var input = File.OpenRead(path);
                report = await AuditExportReader.VerifyAsync(input, LoadKeys(keyFiles), cancellationToken: ct).ConfigureAwait(false);
            }
            else if (ctx.Parse.GetValue(data) is not null || ctx.Parse.GetValue(database) is not null)
            {
                var target = ctx.Parse.GetValue(database) is { } db
                    ? DatabaseTarget.Parse(db)
                    : DatabaseTarget.Sqlite(Path.Combine(Path.GetFullPath(ctx.Parse.GetValue(data)!), "warden.db"));
                if (target.Dialect == SqlDialect.Sqlite && !File.Exists(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(target.ConnectionString).DataSource))
                {
                    throw new CliException($"No Warden database at {target.Describe()}.");
                }

                await using var connections = new ConnectionFactory(target);
                var ledgerId = await LedgerSettings.GetLedgerIdAsync(connections, ct).ConfigureAwait(false) ?? throw new CliException($"{target.Describe()} holds no audit ledger.");
                AuditPublicKeySet trusted;
                if (keyFiles.Length > 0)
                {
                    trusted = LoadKeys(keyFiles);
                }
                else
                {
                    // Whoever can rewrite the database could also swap its keys; say so, and let operators pin keys.
                    env.Error.WriteLine("note: trusting the public keys stored in the database; pass --public-key to pin them.");
                    var stored = await AuditKeyStore.PublicOnly(connections).ListPublicAsync(ct).ConfigureAwait(false);
                    trusted = new AuditPublicKeySet(stored.Select(k => AuditVerificationKey.FromPem(k.PublicKeyPem)));
                }

                report = await StoreVerifier.VerifyAsync(new SqlAuditLedgerStore(connections), ledgerId, trusted, ct).ConfigureAwait(false);
            }
            else
            {
                using var client = ctx.CreateClient();
                var remote = await client.VerifyAuditAsync(ct).ConfigureAwait(false);
                return Report(ctx, remote);
            }

            return Report(ctx, new AuditVerificationDto(report.IsIntact, report.EventsVerified, report.CheckpointsVerified, report.LastSequence, report.LastHash.ToString(),
                report.UnanchoredEvents, report.Problem?.Kind.ToString(), report.Problem?.Sequence, report.Problem?.Message, report.ErasedEvents, report.PrunedThrough));
        });
        return command;
    }

    private static int Report(CliContext ctx, AuditVerificationDto r)
    {
        if (ctx.Json)
        {
            ctx.WriteJson(r, Json.AuditVerificationDto);
        }

        if (!r.Intact)
        {
            throw new CliException($"ledger NOT intact: first bad sequence {r.ProblemSequence} ({r.ProblemKind}): {r.Problem}");
        }

        if (!ctx.Json)
        {
            ctx.Line($"intact: {r.EventsVerified} events, {r.CheckpointsVerified} signed checkpoints, last sequence {r.LastSequence}" +
                     (r.UnanchoredEvents > 0 ? $" ({r.UnanchoredEvents} after the last checkpoint)" : string.Empty) +
                     (r.ErasedEvents > 0 ? $"; {r.ErasedEvents} erased by retention, each accounted for" : string.Empty) +
                     (r.PrunedThrough > 0 ? $"; events 1-{r.PrunedThrough} pruned, verified from the checkpoint ending there" : string.Empty));
        }

        return 0;
    }

    private static AuditPublicKeySet LoadKeys(IEnumerable<string> files)
    {
        var keys = new List<AuditVerificationKey>();
        foreach (var f in files)
        {
            if (!File.Exists(f))
            {
                throw new CliException($"Public key file {f} does not exist.");
            }

            try
            {
                keys.Add(AuditVerificationKey.FromPem(File.ReadAllText(f)));
            }
            catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                throw new CliException($"{f} is not a P-256 public key in PEM form.");
            }
        }

        return new AuditPublicKeySet(keys);
    }

    private static (Command Command, Func<CliContext, Dictionary<string, string?>> Filters, Option<bool> All) Filtered(string name, string description)
    {
        var all = new Option<bool>("--all") { Description = "The whole ledger across orgs (site administrators)." };
        string[] names = ["action", "actor", "resource-type", "resource-id", "session", "vendor", "outcome", "from", "to"];
        var options = names.Select(n => new Option<string?>("--" + n) { Description = $"Only events with this {n.Replace('-', ' ')}" + (n == "action" ? " (a trailing * matches a prefix)." : ".") }).ToList();
        var command = new Command(name, description) { all };
        foreach (var o in options)
        {
            command.Add(o);
        }

        return (command, ctx => options.ToDictionary(o => o.Name.TrimStart('-').Replace('-', '_'), o => ctx.Parse.GetValue(o)), all);
    }

    private static Command Search(CliEnvironment env)
    {
        var (command, filters, all) = Filtered("search", "Search the audit trail, newest first.");
        var limit = new Option<int>("--limit") { Description = "Most events to show.", DefaultValueFactory = _ => 50 };
        var before = new Option<long?>("--before") { Description = "Continue below this sequence number (the previous page's cursor)." };
        command.Add(limit);
        command.Add(before);
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var query = filters(ctx);
            query["limit"] = ctx.Parse.GetValue(limit).ToString(CultureInfo.InvariantCulture);
            query["before"] = ctx.Parse.GetValue(before)?.ToString(CultureInfo.InvariantCulture);
            var page = await client.SearchAuditAsync(ctx.Parse.GetValue(all) ? null : ctx.RequireOrg(), query, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(page, Json.AuditPageDto);
                return 0;
            }

            ctx.WriteTable(["Seq", "Time (UTC)", "Actor", "Action", "Resource", "Outcome"], page.Events.Select(Row));
            if (page.Next is { } next)
            {
                ctx.Line($"More: --before {next}");
            }

            return 0;
        });
        return command;
    }

    private static Command Tail(CliEnvironment env)
    {
        var (command, filters, all) = Filtered("tail", "Follow the audit trail live.");
        var count = new Option<int?>("--count") { Description = "Stop after this many events." };
        var after = new Option<long?>("--after") { Description = "Start after this sequence number (default: now)." };
        command.Add(count);
        command.Add(after);
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var query = filters(ctx);
            query["after"] = ctx.Parse.GetValue(after)?.ToString(CultureInfo.InvariantCulture);
            var max = ctx.Parse.GetValue(count);
            var seen = 0;
            try
            {
                await foreach (var e in client.FollowAuditAsync(ctx.Parse.GetValue(all) ? null : ctx.RequireOrg(), query, ct).ConfigureAwait(false))
                {
                    if (ctx.Json)
                    {
                        ctx.Line(System.Text.Json.JsonSerializer.Serialize(e, Json.AuditEventDto));
                    }
                    else
                    {
                        ctx.Line(string.Join("  ", Row(e)));
                    }

                    await ctx.Env.Out.FlushAsync(ct).ConfigureAwait(false);
                    if (++seen == max)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C ends a tail normally.
            }

            return 0;
        });
        return command;
    }

    private static Command Export(CliEnvironment env)
    {
        var output = new Option<string>("--out") { Description = "File to write (JSON lines).", Required = true };
        var from = new Option<long?>("--from") { Description = "First sequence number." };
        var to = new Option<long?>("--to") { Description = "Last sequence number." };
        var command = new Command("export", "Export the ledger with its checkpoints, for offline verification and archiving.") { output, from, to };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var path = ctx.Parse.GetValue(output)!;
            var temp = path + ".partial";
            await using (var file = File.Create(temp))
            {
                await client.ExportAuditAsync(file, ctx.Parse.GetValue(from), ctx.Parse.GetValue(to), ct).ConfigureAwait(false);
            }

            File.Move(temp, path, overwrite: true);
            ctx.Line($"Exported to {path}. Verify it with: warden audit verify --file {path} --public-key <key.pem>");
            return 0;
        });
        return command;
    }

    private static Command Keys(CliEnvironment env)
    {
        var output = new Option<string?>("--out") { Description = "Write each key to <out>/<key-id>.pem." };
        var command = new Command("keys", "Show the public keys that verify checkpoints.") { output };
        command.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var keys = await client.ListAuditKeysAsync(ct).ConfigureAwait(false);
            if (ctx.Parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                foreach (var k in keys)
                {
                    await File.WriteAllTextAsync(Path.Combine(dir, k.KeyId + ".pem"), k.PublicKeyPem, ct).ConfigureAwait(false);
                }
            }

            if (ctx.Json)
            {
                ctx.WriteJson(keys, Json.IReadOnlyListAuditKeyDto);
                return 0;
            }

            foreach (var k in keys)
            {
                ctx.Line($"# key {k.KeyId} ({(k.RetiredAt is null ? "active" : "retired")})");
                ctx.Line(k.PublicKeyPem.TrimEnd());
            }

            return 0;
        });
        return command;
    }

    private static Command Import(CliEnvironment env)
    {
        var file = new Argument<string>("FILE") { Description = "The vendor's audit-log export (a JSON array)." };
        var format = new Option<string>("--format") { Description = "The export's format: github.", Required = true };
        var command = new Command("import", "Import a vendor audit-log export into the org's trail (all events or none).") { file, format };
        command.SetHandler(env, async (ctx, ct) =>
        {
            var path = ctx.Parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new CliException($"{path} does not exist.");
            }

            using var client = ctx.CreateClient();
            await using var input = File.OpenRead(path);
            var result = await client.ImportAuditAsync(ctx.RequireOrg(), ctx.Parse.GetValue(format)!, input, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(result, Json.AuditImportResultDto);
            }
            else
            {
                var skipped = result.Skipped > 0 ? $" Skipped {result.Skipped} already imported." : string.Empty;
                ctx.Line((result.Imported == 0 ? "Nothing to import." : $"Imported {result.Imported} events (sequences {result.FirstSequence}-{result.LastSequence}).") + skipped);
            }

            return 0;
        });
        return command;
    }

    private static Command IngestKeys(CliEnvironment env)
    {
        var keys = new Command("ingest-key", "Ingestion keys: let OTLP log exporters send events to POST /v1/logs for an org.");

        var name = new Argument<string>("NAME") { Description = "What the key is for." };
        var vendor = new Option<string?>("--vendor") { Description = "Vendor recorded for senders Warden does not recognise (default otlp)." };
        var create = new Command("create", "Create a key; its secret is shown once.") { name, vendor };
        create.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var created = await client.CreateIngestKeyAsync(ctx.RequireOrg(), new CreateIngestKeyRequest(ctx.Parse.GetValue(name)!, ctx.Parse.GetValue(vendor)), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(created, Json.CreatedIngestKeyDto);
                return 0;
            }

            ctx.Line($"Created ingestion key {created.Key.Id}. Send it as 'Authorization: Bearer <key>' to /v1/logs; it is not shown again:");
            ctx.Line(created.Secret);
            return 0;
        });
        keys.Add(create);

        var list = new Command("list", "List the org's ingestion keys.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var all = await client.ListIngestKeysAsync(ctx.RequireOrg(), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(all, Json.IReadOnlyListIngestKeyDto);
                return 0;
            }

            ctx.WriteTable(["Id", "Name", "Vendor", "Prefix", "Created by", "State"], all.Select(k => (IReadOnlyList<string?>)
                [k.Id, k.Name, k.Vendor, k.Prefix, k.CreatedBy, k.RevokedAt is null ? "active" : "revoked"]));
            return 0;
        });
        keys.Add(list);

        var id = new Argument<string>("ID") { Description = "The key's id." };
        var revoke = new Command("revoke", "Revoke an ingestion key.") { id };
        revoke.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            await client.RevokeIngestKeyAsync(ctx.RequireOrg(), ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            ctx.Line("Revoked.");
            return 0;
        });
        keys.Add(revoke);
        return keys;
    }

    /// <summary>The scope a retention command acts on: <c>--site</c> (null to the client) or the org.</summary>
    private static Option<bool> SiteOption() => new("--site") { Description = "Act on the site's own events (sign-ins, tokens) and site-wide holds instead of an org (site administrators).", Recursive = true };

    private static string? Scope(CliContext ctx, Option<bool> site) => ctx.Parse.GetValue(site) ? null : ctx.RequireOrg();

    private static Command Retention(CliEnvironment env)
    {
        var site = SiteOption();
        var retention = new Command("retention", "How long the audit trail keeps events; erased events keep their place in the chain, so it still verifies.") { site };

        var show = new Command("show", "Show the retention period and legal holds.");
        show.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            WriteRetention(ctx, await client.GetAuditRetentionAsync(Scope(ctx, site), ct).ConfigureAwait(false));
            return 0;
        });
        retention.Add(show);

        var period = new Argument<string>("DAYS") { Description = "Days to keep events (1-36500), or 'forever'." };
        var set = new Command("set", "Set the retention period: events older are erased at the next retention run, unless a legal hold is active.") { period };
        set.SetHandler(env, async (ctx, ct) =>
        {
            var text = ctx.Parse.GetValue(period)!;
            int? days = text.Equals("forever", StringComparison.OrdinalIgnoreCase)
                ? null
                : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : throw new CliException($"'{text}' is not a number of days or 'forever'.");
            using var client = ctx.CreateClient();
            WriteRetention(ctx, await client.SetAuditRetentionAsync(Scope(ctx, site), days, ct).ConfigureAwait(false));
            return 0;
        });
        retention.Add(set);

        var dryRun = new Option<bool>("--dry-run") { Description = "Only report what would be erased and pruned." };
        var run = new Command("run", "Run retention now across the ledger (site administrators); it also runs on a schedule.") { dryRun };
        run.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var result = await client.RunAuditRetentionAsync(ctx.Parse.GetValue(dryRun), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(result, Json.AuditRetentionRunDto);
                return 0;
            }

            var verb = result.DryRun ? "would erase" : "erased";
            if (result.Erasures.Count == 0)
            {
                ctx.Line($"Nothing past its retention period{(result.DryRun ? string.Empty : " was erased")}.");
            }

            foreach (var e in result.Erasures)
            {
                ctx.Line($"{(e.Applied || result.DryRun ? verb : "did not erase (a hold or change intervened)")} {e.Events} events of {e.Org} older than {e.Days} days (before {e.Cutoff.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" +
                         (e.RecordSequence is { } r ? $", recorded as event {r}" : string.Empty));
            }

            if (result.CompactedThrough is { } through)
            {
                ctx.Line($"{(result.DryRun ? "would prune" : "pruned")} events 1-{through}: the chain now starts at the checkpoint ending there.");
            }

            return 0;
        });
        retention.Add(run);
        return retention;
    }

    private static Command Holds(CliEnvironment env)
    {
        var site = SiteOption();
        var holds = new Command("hold", "Legal holds: while one is active, nothing of the org's trail (with --site: of the whole ledger) is erased.") { site };

        var reason = new Option<string>("--reason") { Description = "Why (a matter or case reference).", Required = true };
        var place = new Command("place", "Place a legal hold.") { reason };
        place.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var hold = await client.PlaceLegalHoldAsync(Scope(ctx, site), ctx.Parse.GetValue(reason)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(hold, Json.LegalHoldDto);
            }
            else
            {
                ctx.Line($"Placed legal hold {hold.Id}.");
            }

            return 0;
        });
        holds.Add(place);

        var list = new Command("list", "List legal holds, active first.");
        list.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var retention = await client.GetAuditRetentionAsync(Scope(ctx, site), ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(retention.Holds, Json.IReadOnlyListLegalHoldDto);
                return 0;
            }

            WriteHolds(ctx, retention.Holds);
            return 0;
        });
        holds.Add(list);

        var id = new Argument<string>("ID") { Description = "The hold's id." };
        var release = new Command("release", "Release a legal hold (owners and admins).") { id };
        release.SetHandler(env, async (ctx, ct) =>
        {
            using var client = ctx.CreateClient();
            var hold = await client.ReleaseLegalHoldAsync(Scope(ctx, site), ctx.Parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                ctx.WriteJson(hold, Json.LegalHoldDto);
            }
            else
            {
                ctx.Line($"Released legal hold {hold.Id} (placed by {hold.CreatedBy}).");
            }

            return 0;
        });
        holds.Add(release);
        return holds;
    }

    private static void WriteRetention(CliContext ctx, AuditRetentionDto r)
    {
        if (ctx.Json)
        {
            ctx.WriteJson(r, Json.AuditRetentionDto);
            return;
        }

        ctx.Line(r.Days is { } days
            ? $"Retention: {days} days (set by {r.UpdatedBy} on {r.UpdatedAt!.Value.UtcDateTime:yyyy-MM-dd})."
            : "Retention: forever (no period set).");
        var active = r.Holds.Count(h => h.Active);
        if (active > 0)
        {
            ctx.Line($"{active} active legal hold{(active == 1 ? string.Empty : "s")}: nothing is erased while {(active == 1 ? "it is" : "they are")} in place.");
        }

        if (r.Holds.Count > 0)
        {
            WriteHolds(ctx, r.Holds);
        }
    }

    private static void WriteHolds(CliContext ctx, IReadOnlyList<LegalHoldDto> holds) =>
        ctx.WriteTable(["Id", "Reason", "Placed by", "Placed", "State"], holds.Select(h => (IReadOnlyList<string?>)
            [h.Id, h.Reason, h.CreatedBy, h.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
             h.Active ? "active" : $"released by {h.ReleasedBy}"]));

    private static IReadOnlyList<string?> Row(AuditEventDto e) =>
    [
        e.Sequence.ToString(CultureInfo.InvariantCulture),
        e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        e.ActorDisplay ?? e.ActorId,
        e.Action,
        e.ResourceType is null ? null : $"{e.ResourceType}:{e.ResourceId}",
        e.Outcome,
    ];
}
