using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Warden.Data;

/// <summary>
/// This process's writers to one SQLite database, taking turns in order (group commit). SQLite allows one writer at a
/// time; a writer that finds the lock taken waits in SQLite's busy handler, which blocks a thread and sleeps 1, 2, 5,
/// 10 ... ms between tries, so under load commits land milliseconds late and blocked threads starve the thread pool.
/// Here writers wait asynchronously in a queue instead; whoever finds the queue idle runs the work at once on its
/// own thread (no hop when uncontended), and work that queued meanwhile runs as one batch: one transaction, each
/// item in its own savepoint (an item that throws rolls back only its own writes), one commit, one fsync for all.
/// Each item completes only after the commit, so "returned" still means "durable".
/// </summary>
/// <remarks>
/// Work runs while holding SQLite's write lock for everyone in this process: it must do database work only, and never
/// wait for another component that may itself write (the audit writer, a worker, the model), or it waits for itself.
/// Starting another write from inside work throws at once. Writers in other processes and the stores that open their
/// own transactions still meet SQLite's busy handler, which stays set as the fallback.
/// </remarks>
internal sealed class SqliteWriteQueue(Func<CancellationToken, Task<DbConnection>> open)
{
    /// <summary>Most items committed together; a longer batch holds the lock longer for the first ones in it.</summary>
    internal const int MaxBatch = 128;

    private static readonly AsyncLocal<bool> InWork = new();
    private readonly object _sync = new();
    private readonly Queue<Item> _queue = new();
    private bool _draining;
    private long _commits;
    private long _items;

    /// <summary>Commits (batches) made since start.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Items committed since start.</summary>
    public long Items => Interlocked.Read(ref _items);

    /// <summary>Runs <paramref name="work"/> inside a write transaction (possibly shared with other items) and returns once committed.</summary>
    /// <param name="work">The work.</param>
    /// <param name="cancellationToken">Cancels the item while it waits.</param>
    /// <param name="inline">
    /// False: never run on the calling thread (the item is queued before this returns, and a pool thread runs it), for a
    /// caller that must not be held for the write, such as the audit writer's loop placing batches in order.
    /// </param>
    public async Task<T> RunAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, bool inline = true)
    {
        var item = new Item<T>(work, null, cancellationToken);
        await EnqueueAsync(item, inline).ConfigureAwait(false);
        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> alone, between batches, while no other writer of this process runs: for code that
    /// opens and commits its own transaction (the audit ledger's store).
    /// </summary>
    public async Task<T> RunExclusiveAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var item = new Item<T>(null, work, cancellationToken);
        await EnqueueAsync(item).ConfigureAwait(false);
        return await item.Completion.Task.ConfigureAwait(false);
    }

    private Task EnqueueAsync(Item item, bool inline = true)
    {
        if (InWork.Value)
        {
            throw new InvalidOperationException("A SQLite write was started from inside another write's work; it would wait for itself. Write after the outer work returns.");
        }

        bool lead;
        lock (_sync)
        {
            _queue.Enqueue(item);
            lead = !_draining;
            _draining = true;
        }

        // The caller that finds the queue idle runs the first batch itself (the uncontended case costs no thread hop);
        // if more work queued meanwhile, a pool thread carries on so this caller returns after its own batch.
        return !lead ? Task.CompletedTask
            : inline ? DrainAsync(handOff: true)
            : StartDrain();

        Task StartDrain()
        {
            _ = Task.Run(() => DrainAsync(handOff: false));
            return Task.CompletedTask;
        }
    }

    private async Task DrainAsync(bool handOff)
    {
        var batch = new List<Item>();
        while (true)
        {
            batch.Clear();
            lock (_sync)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                if (_queue.Peek().Exclusive is not null)
                {
                    batch.Add(_queue.Dequeue());
                }
                else
                {
                    while (batch.Count < MaxBatch && _queue.Count > 0 && _queue.Peek().Exclusive is null)
                    {
                        batch.Add(_queue.Dequeue());
                    }
                }
            }

            InWork.Value = true;
            try
            {
                if (batch[0].Exclusive is not null)
                {
                    await RunExclusiveItemAsync(batch[0]).ConfigureAwait(false);
                }
                else
                {
                    await RunBatchAsync(batch).ConfigureAwait(false);
                }
            }
            finally
            {
                InWork.Value = false;
            }

            if (handOff)
            {
                lock (_sync)
                {
                    if (_queue.Count == 0)
                    {
                        _draining = false;
                        return;
                    }
                }

                _ = Task.Run(() => DrainAsync(handOff: false));
                return;
            }
        }
    }

    private static async Task RunExclusiveItemAsync(Item item)
    {
        if (item.CancellationToken.IsCancellationRequested)
        {
            item.Cancel();
            return;
        }

        try
        {
            await item.RunExclusiveAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            item.Fail(e);
            return;
        }

        item.Succeed();
    }

    private async Task RunBatchAsync(List<Item> batch)
    {
        var live = new List<Item>(batch.Count);
        foreach (var item in batch)
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Cancel();
            }
            else
            {
                live.Add(item);
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        DbConnection? connection = null;
        DbTransaction? tx = null;
        try
        {
            connection = await open(CancellationToken.None).ConfigureAwait(false);
            // BEGIN IMMEDIATE: take the write lock now, so a read in the work cannot be overtaken by another process's
            // write before this transaction writes (which SQLite would report as busy without waiting).
            tx = ((SqliteConnection)connection).BeginTransaction(deferred: false);
            var succeeded = new List<Item>(live.Count);
            foreach (var item in live)
            {
                if (live.Count == 1)
                {
                    // Alone: no savepoint; if the work throws, the whole transaction is rolled back below.
                    await item.RunAsync(connection, tx).ConfigureAwait(false);
                    succeeded.Add(item);
                    continue;
                }

                await tx.SaveAsync("item").ConfigureAwait(false);
                try
                {
                    await item.RunAsync(connection, tx).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The item hears its own exception first. Then only its writes are undone; if SQLite already rolled
                    // the whole transaction back (a disk error, say), this throws and the rest of the batch fails below.
                    item.Fail(e);
                    await tx.RollbackAsync("item").ConfigureAwait(false);
                    await tx.ReleaseAsync("item").ConfigureAwait(false);
                    continue;
                }

                await tx.ReleaseAsync("item").ConfigureAwait(false);
                succeeded.Add(item);
            }

            await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _items, succeeded.Count);
            foreach (var item in succeeded)
            {
                item.Succeed();
            }
        }
        catch (Exception e)
        {
            // Nothing of the batch is durable: every item still waiting hears why.
            foreach (var item in live)
            {
                item.Fail(e);
            }
        }
        finally
        {
            if (tx is not null)
            {
                await tx.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private abstract class Item(CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        public abstract Delegate? Exclusive { get; }

        public abstract Task RunAsync(DbConnection connection, DbTransaction tx);

        public abstract Task RunExclusiveAsync();

        public abstract void Succeed();

        public abstract void Fail(Exception e);

        public abstract void Cancel();
    }

    private sealed class Item<T>(Func<DbConnection, DbTransaction, Task<T>>? work, Func<Task<T>>? exclusive, CancellationToken cancellationToken)
        : Item(cancellationToken)
    {
        private T _result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Delegate? Exclusive => exclusive;

        public override async Task RunAsync(DbConnection connection, DbTransaction tx) => _result = await work!(connection, tx).ConfigureAwait(false);

        public override async Task RunExclusiveAsync() => _result = await exclusive!().ConfigureAwait(false);

        // An item that failed in its savepoint has already been told; TrySet keeps the first outcome.
        public override void Succeed() => Completion.TrySetResult(_result);

        public override void Fail(Exception e) => Completion.TrySetException(e);

        public override void Cancel() => Completion.TrySetCanceled(CancellationToken);
    }
}
