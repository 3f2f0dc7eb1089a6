using System.Collections.Concurrent;
using Warden.Server.Hosting;

namespace Warden.Server.Auth;

/// <summary>
/// Slows password guessing: after <see cref="WardenServerOptions.MaxLoginFailures"/> failures for one user name from
/// one address within the window, further attempts are refused until the window has passed since the last failure.
/// Kept in memory: a restart resets it, which is acceptable because PBKDF2 already makes each guess expensive.
/// </summary>
public sealed class LoginThrottle(WardenServerOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>When the key is locked out, how long until it may try again.</summary>
    public TimeSpan? RetryAfter(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            var now = time.GetUtcNow();
            Prune(entry, now);
            return entry.Failures.Count >= options.MaxLoginFailures ? entry.Failures.Peek() + options.LoginWindow - now : null;
        }
    }

    /// <summary>Records a failed attempt.</summary>
    public void Failed(string key)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        lock (entry)
        {
            var now = time.GetUtcNow();
            Prune(entry, now);
            entry.Failures.Enqueue(now);
        }
    }

    /// <summary>Forgets past failures after a successful sign-in.</summary>
    public void Succeeded(string key) => _entries.TryRemove(key, out _);

    /// <summary>The throttle key for a user name and client address.</summary>
    public static string Key(string userName, string? address) => $"{userName.ToLowerInvariant()}|{address}";

    private void Prune(Entry entry, DateTimeOffset now)
    {
        while (entry.Failures.Count > 0 && now - entry.Failures.Peek() >= options.LoginWindow)
        {
            entry.Failures.Dequeue();
        }
    }

    private sealed class Entry
    {
        public Queue<DateTimeOffset> Failures { get; } = new();
    }
}
