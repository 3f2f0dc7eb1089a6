using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;
using Warden.Audit;
using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Security;

namespace Warden.Benchmarks;

/// <summary>
/// Audit ledger throughput, each figure beside a baseline measured in the same run:
/// durable appends through the group-commit writer (redact, encode, hash, insert, sign checkpoints) against plain
/// batched inserts of the same rows without any of that; verification against raw SHA-256 over the same bytes.
/// A "writer" is a producer that keeps up to <see cref="Window"/> appends in flight and awaits each acknowledgement,
/// as a busy server does; 16 writers share the total.
/// </summary>
public static class AuditBenchmark
{
    private const int Window = 256;

    public static async Task<int> RunAsync(string[] args)
    {
        var events = IntArg(args, "--events", 200_000);
        var postgres = StringArg(args, "--postgres") ?? Environment.GetEnvironmentVariable("WARDEN_BENCH_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=warden;Password=warden;Database=postgres";
        // Subsets for repeated runs and profiling: --engines sqlite,postgres --writers 1,16 --appends-only / --verify-only,
        // --profile-store-verify N (N more SQLite verification passes after the table, to attach a profiler to).
        var engines = (StringArg(args, "--engines") ?? "sqlite,postgres").Split(',');
        var writerCounts = (StringArg(args, "--writers") ?? "1,16").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var appends = !args.Contains("--verify-only");
        // The writer's MaxBatchSize (events per store call) for the ledger appends; the writer's default otherwise.
        var maxBatch = IntArg(args, "--batch", new AuditWriterOptions { LedgerId = "x" }.MaxBatchSize);
        var verify = !args.Contains("--appends-only");
        Console.WriteLine($"# Audit ledger benchmark: {events:N0} events per case, {Environment.ProcessorCount} cores, {RuntimeDesc()}, writer MaxBatchSize {maxBatch}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        Console.WriteLine();
        if (appends)
        {
            Console.WriteLine("| engine | writers | ledger appends/s | baseline inserts/s | ratio | batches | avg batch | CPU µs/event ledger / baseline | load average |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var engine in engines)
            {
                foreach (var writers in writerCounts)
                {
                    await using var db = await BenchDatabase.CreateAsync(engine, postgres);
                    var cpu = Environment.CpuUsage.TotalTime;
                    var baseline = await BaselineInsertsAsync(db.Connections, events);
                    var baselineCpu = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / events;
                    await using var db2 = await BenchDatabase.CreateAsync(engine, postgres);
                    var (rate, batches, ledgerCpu) = await LedgerAppendsAsync(db2.Connections, events, writers, maxBatch);
                    Console.WriteLine($"| {engine} | {writers} | {rate:N0} | {baseline:N0} | {rate / baseline:0.00} | {batches:N0} | {events / (double)batches:0} | {ledgerCpu:0.0} / {baselineCpu:0.0} | {LoadAverage()} |");
                }
            }

            Console.WriteLine();
        }

        if (!verify)
        {
            return 0;
        }

        Console.WriteLine($"| verification | events/s | baseline SHA-256/s, 1 core | ratio | baseline SHA-256/s, {Environment.ProcessorCount} cores | ratio | CPU µs/event (user / system) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        await using (var db = await BenchDatabase.CreateAsync("sqlite", postgres))
        {
            var ledger = await FillAsync(db.Connections, events);
            var rows = new List<StoredAuditRow>(events);
            await foreach (var row in ledger.Store.ReadRowsAsync(1, long.MaxValue))
            {
                rows.Add(row);
            }

            var checkpoints = new List<AuditCheckpoint>();
            await foreach (var c in ledger.Store.ReadCheckpointsAsync(1, long.MaxValue))
            {
                checkpoints.Add(c);
            }

            var (sha, _) = Measure(() => RawSha(rows), events);
            var (shaAll, _) = Measure(() => RawShaAllCores(rows), events);
            var (memory, memoryCpu) = Measure(() => VerifyRows(rows, checkpoints, ledger.LedgerId, ledger.Keys), events);
            var (storeRate, storeCpu) = await MeasureAsync(async () =>
            {
                var report = await StoreVerifier.VerifyAsync(ledger.Store, ledger.LedgerId, ledger.Keys);
                if (!report.IsIntact)
                {
                    throw new InvalidOperationException(report.Problem!.Message);
                }
            }, events);
            var (readRate, readCpu) = await MeasureAsync(async () =>
            {
                // Reading alone, as the verifier reads: every column of every row touched, nothing hashed.
                long sum = 0;
                await using var cursor = await ledger.Store.OpenRowCursorAsync(1, long.MaxValue);
                while (await cursor.ReadAsync(default))
                {
                    sum += cursor.Sequence + cursor.Body.Length + (cursor.Hash.IsZero ? 1 : 0) + (cursor.PreviousHash.IsZero ? 1 : 0) + (cursor.ErasedBy ?? 0);
                }

                if (sum == 0)
                {
                    throw new InvalidOperationException("No rows read.");
                }
            }, events);
            if (IntArg(args, "--profile-store-verify", 0) is > 0 and var passes)
            {
                // For a profiler (perf record -p PID): the process id, then that many more passes of the SQLite verification.
                Console.WriteLine($"profiling: pid {Environment.ProcessId}, {passes} passes");
                for (var pass = 0; pass < passes; pass++)
                {
                    await StoreVerifier.VerifyAsync(ledger.Store, ledger.LedgerId, ledger.Keys);
                }

                Console.WriteLine("profiling: done");
            }

            Console.WriteLine($"| SQLite rows read only (the verifier's cursor, no hashing) | {readRate:N0} | | | | | {readCpu} |");
            Console.WriteLine($"| in memory (rows already read) | {memory:N0} | {sha:N0} | {memory / sha:0.00} | {shaAll:N0} | {memory / shaAll:0.00} | {memoryCpu} |");
            Console.WriteLine($"| from SQLite (read + verify) | {storeRate:N0} | {sha:N0} | {storeRate / sha:0.00} | {shaAll:N0} | {storeRate / shaAll:0.00} | {storeCpu} |");
            Console.WriteLine();
            Console.WriteLine($"load average {LoadAverage()}");
        }

        return 0;
    }

    /// <summary>Appends/s, store calls, and the process's CPU time per event over the timed part (all threads, both cores).</summary>
    private static async Task<(double Rate, long Batches, double CpuMicroseconds)> LedgerAppendsAsync(ConnectionFactory connections, int events, int writers, int maxBatch)
    {
        var ledger = await OpenLedgerAsync(connections, maxBatch);
        await using var writer = ledger.Writer;
        var perWriter = events / writers;
        var cpu = Environment.CpuUsage.TotalTime;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var inFlight = new Queue<Task<AuditEvent>>(Window);
            for (var i = 0; i < perWriter; i++)
            {
                if (inFlight.Count == Window)
                {
                    await inFlight.Dequeue();
                }

                inFlight.Enqueue(writer.AppendAsync(Draft(w, i)));
            }

            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue();
            }
        })));
        sw.Stop();
        var cpuPerEvent = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / (perWriter * writers);
        var rate = perWriter * writers / sw.Elapsed.TotalSeconds;
        var report = await StoreVerifier.VerifyAsync(ledger.Store, ledger.LedgerId, ledger.Keys);
        if (!report.IsIntact || report.EventsVerified != perWriter * writers)
        {
            throw new InvalidOperationException($"Benchmark ledger did not verify: {report.Problem?.Message} ({report.EventsVerified} events)");
        }

        return (rate, writer.BatchCount, cpuPerEvent);
    }

    /// <summary>
    /// The baseline: the same rows (all 14 columns bound per row, the same values and sizes, body and hash bytes
    /// precomputed once), in batches of 1,024 rows per transaction (what 16 writers fill), with the same per-engine
    /// insert path as <see cref="SqlAuditLedgerStore"/>: on SQLite one prepared statement bound by index through the
    /// native API and stepped per row, on PostgreSQL one <c>INSERT ... SELECT FROM unnest(...)</c> of 14 arrays per
    /// batch. No redaction, canonical encoding, hashing, chain check or checkpoint signing.
    /// </summary>
    private static async Task<double> BaselineInsertsAsync(ConnectionFactory connections, int events)
    {
        await new MigrationRunner(connections).MigrateAsync();
        var body = AuditCanonicalJson.EncodeEvent(Sample());
        var hash = RandomNumberGenerator.GetBytes(32);
        const int batch = 1024;
        const string Columns = "seq, ts, org_id, actor_kind, actor_id, action, resource_type, resource_id, session_id, vendor, outcome, prev_hash, hash, body";
        var sessions = Enumerable.Range(0, 16).Select(w => $"ses_{w}").ToArray();
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < events; start += batch)
        {
            var count = Math.Min(batch, events - start);
            await using var c = await connections.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            if (connections.Dialect == SqlDialect.Postgres)
            {
                var rows = Enumerable.Range(start, count).ToArray();
                await c.ExecuteAsync(
                    $"INSERT INTO audit_events ({Columns}) SELECT * FROM unnest(@seq, @ts, @org, @ak, @aid, @action, @rt, @rid, @sid, @vendor, @outcome, @prev, @hash, @body)",
                    new
                    {
                        seq = rows.Select(i => (long)i + 1).ToArray(),
                        ts = rows.Select(_ => ts).ToArray(),
                        org = rows.Select(_ => "org_bench").ToArray(),
                        ak = rows.Select(_ => "agent_session").ToArray(),
                        aid = rows.Select(i => sessions[i % 16]).ToArray(),
                        action = rows.Select(_ => "tool.call").ToArray(),
                        rt = rows.Select(_ => "tool").ToArray(),
                        rid = rows.Select(_ => "shell").ToArray(),
                        sid = rows.Select(i => sessions[i % 16]).ToArray(),
                        vendor = rows.Select(_ => "warden").ToArray(),
                        outcome = rows.Select(_ => "success").ToArray(),
                        prev = rows.Select(_ => hash).ToArray(),
                        hash = rows.Select(_ => hash).ToArray(),
                        body = rows.Select(_ => body).ToArray(),
                    },
                    tx);
            }
            else
            {
                var db = ((SqliteConnection)c).Handle!;
                Check(raw.sqlite3_prepare_v2(db, $"INSERT INTO audit_events ({Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", out var stmt));
                using (stmt)
                {
                    var text = new byte[768];
                    for (var i = start; i < start + count; i++)
                    {
                        Check(raw.sqlite3_bind_int64(stmt, 1, i + 1));
                        Check(raw.sqlite3_bind_int64(stmt, 2, ts));
                        BindText(stmt, 3, "org_bench", text);
                        BindText(stmt, 4, "agent_session", text);
                        BindText(stmt, 5, sessions[i % 16], text);
                        BindText(stmt, 6, "tool.call", text);
                        BindText(stmt, 7, "tool", text);
                        BindText(stmt, 8, "shell", text);
                        BindText(stmt, 9, sessions[i % 16], text);
                        BindText(stmt, 10, "warden", text);
                        BindText(stmt, 11, "success", text);
                        Check(raw.sqlite3_bind_blob(stmt, 12, hash));
                        Check(raw.sqlite3_bind_blob(stmt, 13, hash));
                        Check(raw.sqlite3_bind_blob(stmt, 14, body));
                        if (raw.sqlite3_step(stmt) != raw.SQLITE_DONE)
                        {
                            throw new InvalidOperationException(raw.sqlite3_errmsg(db).utf8_to_string());
                        }

                        Check(raw.sqlite3_reset(stmt));
                    }
                }
            }

            await tx.CommitAsync();
        }

        return events / sw.Elapsed.TotalSeconds;
    }

    /// <summary>As the store binds strings: encoded to UTF-8 into a scratch buffer, copied by SQLite.</summary>
    private static void BindText(sqlite3_stmt stmt, int index, string value, byte[] scratch) =>
        Check(raw.sqlite3_bind_text(stmt, index, scratch.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(value, scratch))));

    private static void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite error {rc}.");
        }
    }

    private static async Task<OpenLedger> FillAsync(ConnectionFactory connections, int events)
    {
        var ledger = await OpenLedgerAsync(connections);
        await using (ledger.Writer)
        {
            var tasks = new List<Task<AuditEvent>>(events);
            for (var i = 0; i < events; i++)
            {
                tasks.Add(ledger.Writer.AppendAsync(Draft(0, i)));
            }

            await Task.WhenAll(tasks);
            await ledger.Writer.CheckpointAsync();
        }

        return ledger;
    }

    private static async Task<OpenLedger> OpenLedgerAsync(ConnectionFactory connections, int? maxBatch = null)
    {
        await new MigrationRunner(connections).MigrateAsync();
        var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(connections);
        var keyring = await new AuditKeyStore(connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System).LoadOrCreateAsync();
        var store = new SqlAuditLedgerStore(connections);
        var options = new AuditWriterOptions { LedgerId = ledgerId };
        var writer = await AuditWriter.StartAsync(store, maxBatch is { } max ? options with { MaxBatchSize = max } : options, keyring);
        return new OpenLedger(writer, store, ledgerId, new AuditPublicKeySet(keyring.PublicKeys));
    }

    private sealed record OpenLedger(AuditWriter Writer, SqlAuditLedgerStore Store, string LedgerId, AuditPublicKeySet Keys);

    /// <summary>The floor: one SHA-256 over exactly the bytes verification hashes (previous hash and body), nothing else.</summary>
    private static void RawSha(List<StoredAuditRow> rows) => RawSha(rows, 0, rows.Count);

    private static void RawSha(List<StoredAuditRow> rows, int from, int to)
    {
        Span<byte> output = stackalloc byte[32];
        var buffer = new byte[64 * 1024];
        for (var i = from; i < to; i++)
        {
            var row = rows[i];
            row.PreviousHash.CopyTo(buffer, 0);
            row.Body.CopyTo(buffer, 32);
            SHA256.HashData(buffer.AsSpan(0, 32 + row.Body.Length), output);
        }
    }

    /// <summary>The same floor split over every core (contiguous halves on two cores), as the verifier hashes.</summary>
    private static void RawShaAllCores(List<StoredAuditRow> rows)
    {
        var workers = Environment.ProcessorCount;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            RawSha(rows, (int)((long)rows.Count * w / workers), (int)((long)rows.Count * (w + 1) / workers)));
    }

    private static void VerifyRows(List<StoredAuditRow> rows, List<AuditCheckpoint> checkpoints, string ledgerId, AuditPublicKeySet keys)
    {
        var verifier = new LedgerVerifier(ledgerId, keys);
        foreach (var c in checkpoints)
        {
            verifier.AddCheckpoint(c);
        }

        // As StoreVerifier does: chunks of rows, each hashed on both cores, then chain-checked in order.
        var chunk = new EncodedAuditEvent[4096];
        var count = 0;
        foreach (var row in rows)
        {
            chunk[count++] = new EncodedAuditEvent(row.Sequence, new AuditHash(row.PreviousHash), new AuditHash(row.Hash), row.Body);
            if (count == chunk.Length)
            {
                verifier.AddEncodedEvents(chunk);
                count = 0;
            }
        }

        verifier.AddEncodedEvents(chunk.AsMemory(0, count));
        var report = verifier.Complete();
        if (!report.IsIntact)
        {
            throw new InvalidOperationException(report.Problem!.Message);
        }
    }

    /// <summary>
    /// Best of three runs, after one warm-up, in items per second; and the process's CPU time per item averaged over
    /// the three (user / system, all threads), which moves far less with the machine's load than the rate does.
    /// </summary>
    private static (double Rate, string Cpu) Measure(Action action, int items)
    {
        action();
        var best = double.MaxValue;
        var start = CpuTimes();
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return (items / best, CpuPerItem(start, 3 * items));
    }

    private static async Task<(double Rate, string Cpu)> MeasureAsync(Func<Task> action, int items)
    {
        await action();
        var best = double.MaxValue;
        var start = CpuTimes();
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            await action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return (items / best, CpuPerItem(start, 3 * items));
    }

    private static (TimeSpan User, TimeSpan System) CpuTimes()
    {
        using var process = Process.GetCurrentProcess();
        return (process.UserProcessorTime, process.PrivilegedProcessorTime);
    }

    /// <summary>User / system CPU µs per item since <paramref name="start"/>.</summary>
    private static string CpuPerItem((TimeSpan User, TimeSpan System) start, int items)
    {
        var (user, system) = CpuTimes();
        return $"{(user - start.User).TotalMicroseconds / items:0.00} / {(system - start.System).TotalMicroseconds / items:0.00}";
    }

    /// <summary>A typical agent tool-call event: about the size the server writes for each step of a session.</summary>
    private static AuditEventDraft Draft(int writer, int i) => new()
    {
        OrgId = "org_bench",
        Actor = new AuditActor(ActorKind.AgentSession, $"ses_{writer}", "agent"),
        OnBehalfOf = "usr_1",
        Source = new AuditSource("warden", "warden-server", $"ses_{writer}"),
        Action = "tool.call",
        Resource = new AuditResource("tool", "shell"),
        Details = Details,
    };

    private static readonly System.Text.Json.JsonElement Details = AuditDrafts.Details(new Dictionary<string, string?>
    {
        ["command"] = "dotnet test tests/Example.Tests --filter Category=Unit",
        ["exitCode"] = "0",
        ["durationMs"] = "8123",
        ["outputSha256"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    });

    private static AuditEvent Sample() => new()
    {
        Sequence = 1,
        Timestamp = DateTimeOffset.UtcNow,
        OrgId = "org_bench",
        Actor = new AuditActor(ActorKind.AgentSession, "ses_0", "agent"),
        OnBehalfOf = "usr_1",
        Source = new AuditSource("warden", "warden-server", "ses_0"),
        Action = "tool.call",
        Resource = new AuditResource("tool", "shell"),
        Outcome = AuditOutcome.Success,
        Details = Details,
        PreviousHash = AuditHash.Zero,
        Hash = AuditHash.Zero,
    };

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The one-minute load average (Linux), so every figure carries how busy the shared machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static string RuntimeDesc() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    /// <summary>A throwaway database of either engine.</summary>
    private sealed class BenchDatabase : IAsyncDisposable
    {
        private readonly string? _dir;
        private readonly string? _pgName;
        private readonly string _pgAdmin;

        private BenchDatabase(ConnectionFactory connections, string? dir, string? pgName, string pgAdmin)
        {
            Connections = connections;
            _dir = dir;
            _pgName = pgName;
            _pgAdmin = pgAdmin;
        }

        public ConnectionFactory Connections { get; }

        public static async Task<BenchDatabase> CreateAsync(string engine, string pgAdmin)
        {
            if (engine == "sqlite")
            {
                var dir = Path.Combine(Path.GetTempPath(), "warden-bench-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(dir);
                return new BenchDatabase(new ConnectionFactory(DatabaseTarget.Sqlite(Path.Combine(dir, "bench.db"))), dir, null, pgAdmin);
            }

            var name = "warden_bench_" + Guid.NewGuid().ToString("N")[..8];
            await using (var admin = new NpgsqlConnection(pgAdmin))
            {
                await admin.OpenAsync();
                await admin.ExecuteAsync($"CREATE DATABASE {name}");
            }

            var cs = new NpgsqlConnectionStringBuilder(pgAdmin) { Database = name }.ToString();
            return new BenchDatabase(new ConnectionFactory(new DatabaseTarget(SqlDialect.Postgres, cs)), null, name, pgAdmin);
        }

        public async ValueTask DisposeAsync()
        {
            await Connections.DisposeAsync();
            if (_pgName is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(_pgAdmin);
                await admin.OpenAsync();
                await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {_pgName} WITH (FORCE)");
            }

            if (_dir is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_dir, true);
            }
        }
    }
}
