namespace Warden.ScriptedGit.Hosting;

/// <summary>The pull requests opened on the host and the API requests received, shared by all request threads.</summary>
internal sealed class PullRequestBook
{
    private readonly Lock _gate = new();
    private readonly List<ScriptedPullRequest> _pulls = [];
    private readonly List<ReceivedApiRequest> _requests = [];
    private readonly Dictionary<string, int> _lastNumber = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<ScriptedPullRequest> PullRequests
    {
        get
        {
            lock (_gate)
            {
                return _pulls.ToList();
            }
        }
    }

    public IReadOnlyList<ReceivedApiRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>
    /// Opens a pull request unless an open one exists for the same project, head and base; returns it and whether it
    /// is new. Check and insert happen under one lock, so two identical requests never both succeed.
    /// </summary>
    public (ScriptedPullRequest Pull, bool Created) Open(
        PullRequestApi api, string project, string head, string @base, string title, string body, Func<int, Uri> url, DateTimeOffset at)
    {
        TaskCompletionSource changed;
        ScriptedPullRequest pull;
        lock (_gate)
        {
            var existing = _pulls.FirstOrDefault(p => p.Open && p.Project == project && p.Head == head && p.Base == @base);
            if (existing is not null)
            {
                return (existing, false);
            }

            var number = _lastNumber[project] = _lastNumber.GetValueOrDefault(project) + 1;
            pull = new ScriptedPullRequest(api, project, number, head, @base, title, body, url(number), true, at);
            _pulls.Add(pull);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
        return (pull, true);
    }

    /// <summary>Open and closed pull requests of <paramref name="project"/>, oldest first.</summary>
    public IReadOnlyList<ScriptedPullRequest> Of(string project)
    {
        lock (_gate)
        {
            return _pulls.Where(p => p.Project == project).ToList();
        }
    }

    /// <summary>Closes pull request <paramref name="number"/> of <paramref name="project"/>; false when there is none.</summary>
    public bool Close(string project, int number)
    {
        lock (_gate)
        {
            var index = _pulls.FindIndex(p => p.Project == project && p.Number == number);
            if (index < 0)
            {
                return false;
            }

            _pulls[index] = _pulls[index] with { Open = false };
            return true;
        }
    }

    public void Record(ReceivedApiRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _pulls.Clear();
            _requests.Clear();
            _lastNumber.Clear();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> pull requests exist; <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ScriptedPullRequest>> WaitAsync(int count, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_pulls.Count >= count)
                {
                    return _pulls.ToList();
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {count} pull request(s); {PullRequests.Count} opened.");
            }
        }
    }
}
