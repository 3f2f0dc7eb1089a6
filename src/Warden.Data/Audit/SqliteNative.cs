using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace Warden.Data.Audit;

/// <summary>
/// The few SQLite C calls the ledger's row cursor makes, bound directly to the <c>e_sqlite3</c> library that
/// Microsoft.Data.Sqlite already loads. SQLitePCLRaw's equivalents pass each handle as a <see cref="SafeHandle"/>
/// (a reference count taken and dropped per call) through a provider interface; a verification pass makes about a
/// dozen calls per row, and those wrappers cost more than SQLite's own work (docs/benchmarks.md). Here the hot
/// calls take raw pointers and, for the column accessors, skip the GC transition: they return a value or a pointer
/// into the current row and never call back into managed code. (A blob or its length read from a column that holds
/// a number, which only a tampered row has, converts it and allocates under SQLite's memory mutex: short, and never
/// held across I/O.)
/// </summary>
internal static unsafe partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    public const int Ok = 0;
    public const int Row = 100;
    public const int Done = 101;
    public const int NullType = 5;

    public const int OpenReadWrite = 0x0000_0002;
    public const int OpenNoMutex = 0x0000_8000;
    public const int OpenPrivateCache = 0x0004_0000;

    [LibraryImport(Library)]
    public static partial int sqlite3_open_v2(byte* filename, nint* db, int flags, byte* vfs);

    [LibraryImport(Library)]
    public static partial int sqlite3_close_v2(nint db);

    [LibraryImport(Library)]
    public static partial int sqlite3_busy_timeout(nint db, int milliseconds);

    [LibraryImport(Library)]
    public static partial byte* sqlite3_db_filename(nint db, byte* name);

    [LibraryImport(Library)]
    public static partial byte* sqlite3_errmsg(nint db);

    [LibraryImport(Library)]
    public static partial int sqlite3_prepare_v2(nint db, byte* sql, int bytes, nint* statement, byte** tail);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library)]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library)]
    public static partial int sqlite3_finalize(nint statement);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial byte* sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial int sqlite3_column_bytes(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial int sqlite3_column_type(nint statement, int column);

    /// <summary>Throws SQLite's error for <paramref name="rc"/> unless it is <see cref="Ok"/>.</summary>
    public static void Check(int rc, nint db)
    {
        if (rc != Ok)
        {
            throw Error(rc, db);
        }
    }

    public static SqliteException Error(int rc, nint db)
    {
        var message = db == 0 ? null : Marshal.PtrToStringUTF8((nint)sqlite3_errmsg(db));
        return new SqliteException($"SQLite Error {rc}: '{message ?? "unknown error"}'.", rc);
    }

    /// <summary>A connection this process opened itself; closed when released (after its statements, by SQLite's rules).</summary>
    public sealed class DatabaseHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        public static DatabaseHandle Adopt(nint db)
        {
            var handle = new DatabaseHandle();
            handle.SetHandle(db);
            return handle;
        }

        protected override bool ReleaseHandle() => sqlite3_close_v2(handle) == Ok;
    }

    /// <summary>A prepared statement; finalized when released.</summary>
    public sealed class StatementHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        public static StatementHandle Adopt(nint statement)
        {
            var handle = new StatementHandle();
            handle.SetHandle(statement);
            return handle;
        }

        protected override bool ReleaseHandle()
        {
            sqlite3_finalize(handle);
            return true;
        }
    }
}
