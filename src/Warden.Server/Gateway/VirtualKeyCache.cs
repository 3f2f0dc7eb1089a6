using System.Buffers.Binary;
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
    private readonly ConcurrentDictionary<SecretHash, (VirtualKeyIdentity Key, DateTimeOffset At)> _byHash = new();

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

        // Keyed by the digest as four integers: no UTF-8 array and no hex string per call, and the secret itself is
        // never held past the request. (A key is at most 200 characters, so its UTF-8 form fits on the stack.)
        Span<byte> utf8 = stackalloc byte[600];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        var digest = new SecretHash(
            BinaryPrimitives.ReadUInt64LittleEndian(hash),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
        var now = _time.GetUtcNow();
        if (_byHash.TryGetValue(digest, out var cached) && now - cached.At < MaxAge)
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

            _byHash[digest] = (key, now);
        }

        return key;
    }

    /// <summary>A SHA-256 digest as a value.</summary>
    private readonly record struct SecretHash(ulong A, ulong B, ulong C, ulong D);
}
