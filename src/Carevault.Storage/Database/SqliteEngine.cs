using NativeLibrary = System.Runtime.InteropServices.NativeLibrary;
using SQLitePCL;

namespace Carevault.Storage.Database;

/// <summary>
/// The SQLite engine behind every SQLite connection of the process: SQLCipher (SQLite 3.42 with page-level
/// AES-256 encryption), built from source by <c>build/sqlcipher.sh</c> into <see cref="LibraryFileName"/> beside the
/// assemblies. Loaded once, before the first connection; see docs/decisions/0019-encrypted-sqlite.md.
/// </summary>
public static class SqliteEngine
{
    public const string LibraryFileName = "libcarevault-sqlcipher.so";

    static readonly Lazy<string> Loaded = new(Load);

    /// <summary>Loads the engine when it is not yet loaded; throws naming the missing file and how to build it.</summary>
    public static void EnsureLoaded() => _ = Loaded.Value;

    /// <summary>SQLCipher's version (e.g. <c>4.5.5 community</c>), for the health report and tests.</summary>
    public static string CipherVersion => Loaded.Value;

    static string Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, LibraryFileName);
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"The encrypted SQLite engine {path} is missing. Building Carevault.Storage builds it (build/sqlcipher.sh: needs gcc, " +
                "libssl-dev and npm); or use PostgreSQL (Database:Provider=Postgres).");
        var library = NativeLibrary.Load(path);
        SQLite3Provider_dynamic_cdecl.Setup("sqlcipher", new Exports(library));
        raw.SetProvider(new SQLite3Provider_dynamic_cdecl());

        // Ask the engine itself: a plain SQLite library would load too, and would silently store plaintext.
        using var probe = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        probe.Open();
        using var command = probe.CreateCommand();
        command.CommandText = "PRAGMA cipher_version";
        return command.ExecuteScalar() as string
            ?? throw new InvalidOperationException($"{path} is a SQLite library without SQLCipher: it cannot encrypt the database.");
    }

    // SQLitePCLRaw's own loader looks for libdl by an old name; the runtime's loader finds the exports directly.
    sealed class Exports(IntPtr library) : IGetFunctionPointer
    {
        public IntPtr GetFunctionPointer(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : IntPtr.Zero;
    }
}
