using Dapper;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>
/// <see cref="ConnectionFactory.WriteAsync{T}"/>: on both engines a write commits or, when its work throws, leaves
/// nothing behind; on SQLite, writers that queue behind a running one share one commit, each in its own savepoint, and
/// a write started from inside another write's work is refused instead of waiting for itself.
/// </summary>
public sealed class WriteQueueTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Write_CommitsItsWork_AndAThrowingWorkLeavesNothing(string engine)
    {
        await using var db = await CreateAsync(engine);

        var returned = await db.Connections.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('kept')", transaction: tx);
            return 42;
        });
        var failure = await Should.ThrowAsync<InvalidOperationException>(db.Connections.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('undone')", transaction: tx);
            throw new InvalidOperationException("the work failed");
        }));

        returned.ShouldBe(42);
        failure.Message.ShouldBe("the work failed");
        (await NamesAsync(db)).ShouldBe(["kept"]);
    }

    [Fact]
    public async Task Sqlite_WritersQueuedBehindARunningOne_ShareOneCommit_AndOneThatFailsIsUndoneAlone()
    {
        await using var db = await CreateAsync("sqlite");
        var before = db.Connections.WriteStats;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first write holds the queue until the others have queued (only a test may wait inside work).
        var first = db.Connections.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('first')", transaction: tx);
            entered.SetResult();
            await release.Task;
        });
        await entered.Task;
        var queued = Enumerable.Range(0, 20).Select(i => db.Connections.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO items (name) VALUES (@name)", new { name = $"q{i:00}" }, tx);
            if (i == 7)
            {
                throw new InvalidOperationException("item 7 failed");
            }

            return i;
        })).ToList();
        release.SetResult();
        await first;
        var failed = await Should.ThrowAsync<InvalidOperationException>(queued[7]);
        var results = new List<int>();
        foreach (var write in queued.Where((_, i) => i != 7))
        {
            results.Add(await write);
        }

        failed.Message.ShouldBe("item 7 failed");
        results.ShouldBe(Enumerable.Range(0, 20).Where(i => i != 7));
        (await NamesAsync(db)).ShouldBe(["first", .. Enumerable.Range(0, 20).Where(i => i != 7).Select(i => $"q{i:00}")]);
        var after = db.Connections.WriteStats;
        (after.Commits - before.Commits).ShouldBe(2, "the first write, then the 20 that queued behind it in one commit");
        (after.Writes - before.Writes).ShouldBe(20, "the failed item is not counted as written");
    }

    [Fact]
    public async Task Sqlite_AWriteStartedInsideAnotherWritesWork_IsRefused_NotDeadlocked()
    {
        await using var db = await CreateAsync("sqlite");

        var nested = await Should.ThrowAsync<InvalidOperationException>(db.Connections.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('outer')", transaction: tx);
            await db.Connections.WriteAsync((c2, tx2) => c2.ExecuteAsync("INSERT INTO items (name) VALUES ('inner')", transaction: tx2));
        }));

        nested.Message.ShouldContain("would wait for itself");
        (await NamesAsync(db)).ShouldBeEmpty();
        // The queue is free again afterwards.
        await db.Connections.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO items (name) VALUES ('after')", transaction: tx));
        (await NamesAsync(db)).ShouldBe(["after"]);
    }

    [Fact]
    public async Task Sqlite_AWriteCancelledWhileQueued_DoesNotRun()
    {
        await using var db = await CreateAsync("sqlite");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = db.Connections.WriteAsync(async (c, tx) =>
        {
            entered.SetResult();
            await release.Task;
        });
        await entered.Task;
        using var cts = new CancellationTokenSource();
        var cancelled = db.Connections.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO items (name) VALUES ('cancelled')", transaction: tx), cts.Token);
        var kept = db.Connections.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO items (name) VALUES ('kept')", transaction: tx));

        await cts.CancelAsync();
        release.SetResult();
        await first;
        await kept;

        await Should.ThrowAsync<OperationCanceledException>(cancelled);
        (await NamesAsync(db)).ShouldBe(["kept"]);
    }

    [Fact]
    public async Task Sqlite_ExclusiveWork_RunsBetweenBatches_WithItsOwnTransaction()
    {
        await using var db = await CreateAsync("sqlite");

        var written = await db.Connections.ExclusiveWriteAsync(async () =>
        {
            await using var c = await db.Connections.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('own transaction')", transaction: tx);
            await tx.CommitAsync();
            return "done";
        });
        await db.Connections.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO items (name) VALUES ('queued')", transaction: tx));

        written.ShouldBe("done");
        (await NamesAsync(db)).ShouldBe(["own transaction", "queued"]);
    }

    [Fact]
    public async Task Sqlite_APooledConnectionLeftInsideATransaction_IsRolledBackBeforeItIsHandedOutAgain()
    {
        await using var db = await CreateAsync("sqlite");
        await using (var c = await db.Connections.OpenAsync())
        {
            // A transaction the driver does not know about (as when its rollback failed): the handle goes back to the pool in it.
            await c.ExecuteAsync("BEGIN IMMEDIATE; INSERT INTO items (name) VALUES ('stranded');");
        }

        await db.Connections.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO items (name) VALUES ('next')", transaction: tx));
        await using (var c = await db.Connections.OpenAsync())
        {
            await using var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync("INSERT INTO items (name) VALUES ('and another')", transaction: tx);
            await tx.CommitAsync();
        }

        (await NamesAsync(db)).ShouldBe(["next", "and another"]);
        db.Connections.StrandedRollbacks.ShouldBe(1);
    }

    private static async Task<TestDatabase> CreateAsync(string engine)
    {
        var db = await TestDatabase.CreateAsync(engine);
        await using var c = await db.Connections.OpenAsync();
        await c.ExecuteAsync(engine == "sqlite"
            ? "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)"
            : "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)");
        return db;
    }

    private static async Task<List<string>> NamesAsync(TestDatabase db)
    {
        await using var c = await db.Connections.OpenAsync();
        return (await c.QueryAsync<string>("SELECT name FROM items ORDER BY id")).ToList();
    }
}
