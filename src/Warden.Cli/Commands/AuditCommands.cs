using System.CommandLine;
using System.Globalization;
using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;

namespace Warden.Cli.Commands;

/// <summary><c>warden audit verify|search|tail|export|keys|import|ingest-key</c>.</summary>
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
                report.UnanchoredEvents, report.Problem?.Kind.ToString(), report.Problem?.Sequence, report.Problem?.Message));
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
                     (r.UnanchoredEvents > 0 ? $" ({r.UnanchoredEvents} after the last checkpoint)" : string.Empty));
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
                ctx.Line(result.Imported == 0 ? "Nothing to import." : $"Imported {result.Imported} events (sequences {result.FirstSequence}-{result.LastSequence}).");
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
