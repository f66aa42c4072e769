using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Carevault.Crypto;

/// <summary>
/// The master key file: UTF-8 text, one record a line, '#' comments and blank lines ignored.
/// <code>
/// carevault-master-keys v1
/// active mk-3f2a9c0d11b2e4f7
/// key mk-3f2a9c0d11b2e4f7 &lt;base64 of 32 bytes&gt;
/// key mk-older... &lt;base64 of 32 bytes&gt;
/// </code>
/// On Unix the file must not be readable, writable or executable by anyone but its owner (mode 0600 or
/// narrower); <see cref="Load"/> refuses a broader mode, as ssh does for private keys. On Windows the check is
/// skipped: protect the file with an ACL.
/// </summary>
public static class MasterKeyFile
{
    public const string FirstLine = "carevault-master-keys v1";
    public const UnixFileMode RequiredMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const int MaxFileSize = 1024 * 1024;

    /// <summary>Reads the key file at <paramref name="path"/> after checking its permissions.</summary>
    /// <exception cref="MasterKeyFileException">The mode is broader than 0600, or the content is malformed.</exception>
    public static MasterKeyRing Load(string path)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);

        // Check the mode of the handle we read from, not of the path, so the file cannot be swapped in between.
        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(handle);
            if ((mode & ~RequiredMode) != 0)
            {
                throw new MasterKeyFileException(
                    $"The master key file '{path}' has mode {FormatMode(mode)}; it must be 0600 or narrower (chmod 600).");
            }
        }

        long length = RandomAccess.GetLength(handle);
        if (length > MaxFileSize)
        {
            throw new MasterKeyFileException($"The master key file '{path}' is larger than {MaxFileSize} bytes.");
        }

        var bytes = new byte[length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Parse(Encoding.UTF8.GetString(bytes, 0, read));
    }

    /// <summary>Parses key file text.</summary>
    /// <exception cref="MasterKeyFileException">The text is not a valid key file.</exception>
    public static MasterKeyRing Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? activeId = null;
        bool sawFirstLine = false;
        var keys = new List<MasterKey>();
        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (!sawFirstLine)
            {
                if (line != FirstLine)
                {
                    throw new MasterKeyFileException($"Line {lineNumber}: expected '{FirstLine}'.");
                }

                sawFirstLine = true;
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (parts)
            {
                case ["active", var id] when activeId is null:
                    activeId = id;
                    break;
                case ["key", var id, var base64]:
                    try
                    {
                        keys.Add(MasterKey.FromBase64(base64, id));
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException)
                    {
                        // The message never includes the key material.
                        throw new MasterKeyFileException($"Line {lineNumber}: invalid key record ({ex.Message})", ex);
                    }

                    break;
                default:
                    throw new MasterKeyFileException($"Line {lineNumber}: expected 'active <id>' once or 'key <id> <base64>'.");
            }
        }

        if (!sawFirstLine || activeId is null)
        {
            throw new MasterKeyFileException("The master key file has no header line or no 'active' line.");
        }

        var active = keys.Find(k => k.Id == activeId)
            ?? throw new MasterKeyFileException($"The active key '{activeId}' has no 'key' line.");
        try
        {
            return new MasterKeyRing(active, keys.Where(k => k != active));
        }
        catch (ArgumentException ex)
        {
            throw new MasterKeyFileException(ex.Message, ex);
        }
    }

    /// <summary>Key file text for <paramref name="ring"/>. The result holds secrets.</summary>
    public static string Format(MasterKeyRing ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var sb = new StringBuilder();
        sb.Append("# Carevault master keys. Keep this file mode 0600 and out of backups of the blob store.\n");
        sb.Append(FirstLine).Append('\n');
        sb.Append("active ").Append(ring.Active.Id).Append('\n');
        foreach (var key in ring.Keys)
        {
            sb.Append("key ").Append(key.Id).Append(' ').Append(key.ExportBase64()).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// Writes <paramref name="ring"/> to <paramref name="path"/> with mode 0600: to a new sibling file first, then
    /// renamed over the old one, so a crash never leaves a half-written key file.
    /// </summary>
    public static void Save(string path, MasterKeyRing ring)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = Format(ring);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = RequiredMode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Generates a new master key and makes it active in the key file at <paramref name="path"/> (created if
    /// missing), keeping the previous keys so existing blobs stay readable. Returns the new ring.
    /// </summary>
    public static MasterKeyRing GenerateAndActivate(string path, string? keyId = null)
    {
        var key = MasterKey.Generate(keyId);
        var ring = File.Exists(path) ? Load(path).Rotate(key) : new MasterKeyRing(key);
        Save(path, ring);
        return ring;
    }

    private static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);
}

/// <summary>The master key file is unsafe (permissions) or malformed. The message never holds key material.</summary>
public sealed class MasterKeyFileException : Exception
{
    public MasterKeyFileException()
    {
    }

    public MasterKeyFileException(string message)
        : base(message)
    {
    }

    public MasterKeyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
