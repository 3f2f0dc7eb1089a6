using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Warden.Audit;

/// <summary>
/// SHA-256 through OpenSSL 3's EVP interface with the digest fetched once, called through function pointers.
/// The ledger hashes every event when it is appended and again when it is verified, and at about 0.6 KB per event the
/// fixed cost of a call is a third of the work: .NET's <see cref="IncrementalHash"/> (which calls the same library)
/// measured 0.60 µs per event on this machine, this 0.40 µs. .NET looks the digest up again on every reset and goes
/// through its marshalling layer; here the digest is fetched once and a context is reused per thread.
/// </summary>
/// <remarks>
/// Only the non-deprecated EVP calls are used (<c>EVP_MD_fetch</c>, <c>EVP_DigestInit_ex2</c>, ...), so OpenSSL's
/// provider configuration applies as it does to .NET's own hashing (a FIPS provider, when configured, is the one
/// fetched). Where libcrypto 3 cannot be loaded (another platform, an older OpenSSL), <see cref="IsAvailable"/> is
/// false and <see cref="AuditHash"/> uses <see cref="IncrementalHash"/>; the result is the same SHA-256.
/// </remarks>
internal static unsafe class OpenSslSha256
{
    private static readonly Functions? Api = Load();

    [ThreadStatic]
    private static Context? _context;

    /// <summary>True when libcrypto 3 was loaded and SHA-256 fetched from it.</summary>
    public static bool IsAvailable => Api is not null;

    /// <summary>
    /// SHA-256 of <paramref name="first"/> followed by <paramref name="second"/> into <paramref name="destination"/>
    /// (32 bytes). Only when <see cref="IsAvailable"/>.
    /// </summary>
    public static void Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        var api = Api ?? throw new InvalidOperationException("libcrypto 3 is not available.");
        if (destination.Length < AuditHash.Size)
        {
            throw new ArgumentException($"The destination needs {AuditHash.Size} bytes.", nameof(destination));
        }

        var ctx = (_context ??= new Context(api)).Handle;
        uint length = 0;
        bool ok;
        fixed (byte* a = first)
        fixed (byte* b = second)
        fixed (byte* d = destination)
        {
            ok = api.Init(ctx, api.Digest, IntPtr.Zero) == 1
                && (first.IsEmpty || api.Update(ctx, a, (nuint)first.Length) == 1)
                && (second.IsEmpty || api.Update(ctx, b, (nuint)second.Length) == 1)
                && api.Final(ctx, d, &length) == 1;
        }

        if (!ok || length != AuditHash.Size)
        {
            // Leave OpenSSL's per-thread error queue empty for the next caller (.NET's own crypto reads it).
            var code = api.ErrGet();
            api.ErrClear();
            throw new CryptographicException($"OpenSSL failed to compute SHA-256 (error 0x{code:x}).");
        }
    }

    private static Functions? Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // .NET must be the first to initialise OpenSSL: it does so without OpenSSL's exit-time cleanup, which would
        // otherwise run while other threads still use crypto and crash the process as it exits (26 of 30 runs of a
        // program that hashed here first, then did .NET crypto on other threads; docs/benchmarks.md). Reading the
        // version makes .NET initialise it. Only OpenSSL 3 is used, so that this is the same libcrypto .NET loaded.
        if (SafeEvpPKeyHandle.OpenSslVersion < 0x3000_0000L || !NativeLibrary.TryLoad("libcrypto.so.3", out var lib))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(lib, "EVP_MD_fetch", out var fetch)
            || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_new", out var ctxNew)
            || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_free", out var ctxFree)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestInit_ex2", out var init)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestUpdate", out var update)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestFinal_ex", out var final)
            || !NativeLibrary.TryGetExport(lib, "ERR_get_error", out var errGet)
            || !NativeLibrary.TryGetExport(lib, "ERR_clear_error", out var errClear))
        {
            return null;
        }

        // Fetched once for the process, from the default library context; never freed.
        IntPtr digest;
        fixed (byte* name = "SHA256\0"u8)
        {
            digest = ((delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)fetch)(IntPtr.Zero, name, null);
        }

        if (digest == IntPtr.Zero)
        {
            ((delegate* unmanaged<void>)errClear)();
            return null;
        }

        return new Functions(digest,
            (delegate* unmanaged<IntPtr>)ctxNew,
            (delegate* unmanaged<IntPtr, void>)ctxFree,
            (delegate* unmanaged<IntPtr, IntPtr, IntPtr, int>)init,
            (delegate* unmanaged<IntPtr, byte*, nuint, int>)update,
            (delegate* unmanaged<IntPtr, byte*, uint*, int>)final,
            (delegate* unmanaged<nuint>)errGet,
            (delegate* unmanaged<void>)errClear);
    }

    private sealed class Functions(
        IntPtr digest,
        delegate* unmanaged<IntPtr> ctxNew,
        delegate* unmanaged<IntPtr, void> ctxFree,
        delegate* unmanaged<IntPtr, IntPtr, IntPtr, int> init,
        delegate* unmanaged<IntPtr, byte*, nuint, int> update,
        delegate* unmanaged<IntPtr, byte*, uint*, int> final,
        delegate* unmanaged<nuint> errGet,
        delegate* unmanaged<void> errClear)
    {
        public IntPtr Digest { get; } = digest;

        public delegate* unmanaged<IntPtr> CtxNew { get; } = ctxNew;

        public delegate* unmanaged<IntPtr, void> CtxFree { get; } = ctxFree;

        public delegate* unmanaged<IntPtr, IntPtr, IntPtr, int> Init { get; } = init;

        public delegate* unmanaged<IntPtr, byte*, nuint, int> Update { get; } = update;

        public delegate* unmanaged<IntPtr, byte*, uint*, int> Final { get; } = final;

        public delegate* unmanaged<nuint> ErrGet { get; } = errGet;

        public delegate* unmanaged<void> ErrClear { get; } = errClear;
    }

    /// <summary>One thread's digest context; freed when the thread is gone and the holder is collected.</summary>
    private sealed class Context
    {
        private readonly Functions _api;

        public Context(Functions api)
        {
            _api = api;
            Handle = api.CtxNew();
            if (Handle == IntPtr.Zero)
            {
                throw new CryptographicException("OpenSSL could not create a digest context.");
            }
        }

        ~Context() => _api.CtxFree(Handle);

        public IntPtr Handle { get; }
    }
}
