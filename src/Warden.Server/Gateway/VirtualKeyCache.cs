using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Warden.Data.Gateway;

namespace Warden.Server.Gateway;

/// <summary>
/// Virtual keys by the SHA-256 of their secret, held for <see cref="MaxAge"/> so that a request does not touch the
/// database. Revocation through this replica takes effect at once; through another replica within <see cref="MaxAge"/>.
/// </summary>
public sealed class VirtualKeyCache
{
    /// <summary>How long a resolved key is used before it is looked up again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private const int MaxEntries = 100_000;
    private readonly VirtualKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (VirtualKeyIdentity Key, DateTimeOffset At)> _byHash = new(StringComparer.Ordinal);

    /// <summary>Creates the cache and subscribes to key changes.</summary>
    public VirtualKeyCache(VirtualKeyStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        store.Changed += keyId =>
        {
            foreach (var entry in _byHash.Where(e => e.Value.Key.Id == keyId).ToList())
            {
                _byHash.TryRemove(entry.Key, out _);
            }
        };
    }

    /// <summary>The key for a presented secret, or null when it is not a key at all.</summary>
    public async ValueTask<VirtualKeyIdentity?> ResolveAsync(string secret, CancellationToken cancellationToken)
    {
        if (!secret.StartsWith(VirtualKeyStore.KeyPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), hash);
        var hex = Convert.ToHexStringLower(hash);
        var now = _time.GetUtcNow();
        if (_byHash.TryGetValue(hex, out var cached) && now - cached.At < MaxAge)
        {
            return cached.Key;
        }

        var key = await _store.AuthenticateAsync(secret, cancellationToken).ConfigureAwait(false);
        if (key is not null)
        {
            if (_byHash.Count >= MaxEntries)
            {
                _byHash.Clear();
            }

            _byHash[hex] = (key, now);
        }

        return key;
    }
}
