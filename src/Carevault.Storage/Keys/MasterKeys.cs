using Carevault.Crypto;
using Microsoft.Extensions.Configuration;

namespace Carevault.Storage.Keys;

/// <summary>
/// The master key ring that seals everything Carevault encrypts at rest (blobs, token-signing keys).
/// From <c>Secrets:MasterKey</c> (environment: <c>CAREVAULT_SECRETS__MASTERKEY</c>, <c>id:base64,…</c>, active first),
/// else the key file <c>Secrets:MasterKeyFile</c> (default <c>{DataDirectory}/master.key</c>, mode 0600 or refused).
/// When neither exists and <c>Secrets:GenerateMasterKey</c> is true (the default, for a laptop's first start), a key
/// file is generated; <c>carevault security check</c> flags that as a development key.
/// </summary>
public sealed class MasterKeys
{
    /// <summary>How often a running server looks at the key file's timestamp to pick up a rotation.</summary>
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(5);

    readonly string? _filePath;
    readonly Lock _reload = new();
    MasterKeyRing _ring;
    DateTime _fileStamp;
    long _nextCheck;

    MasterKeys(MasterKeyRing ring, string? filePath, bool generated)
    {
        _ring = ring;
        _filePath = filePath;
        Generated = generated;
        if (filePath is not null) _fileStamp = File.GetLastWriteTimeUtc(filePath);
        _nextCheck = Environment.TickCount64 + (long)ReloadInterval.TotalMilliseconds;
    }

    /// <summary>
    /// The current ring. A ring from a key file follows the file: when <c>carevault keys rotate-master</c> replaces it,
    /// running servers use the new active key within <see cref="ReloadInterval"/> (a file that fails to load is
    /// ignored and the ring in use is kept).
    /// </summary>
    public MasterKeyRing Ring
    {
        get
        {
            if (_filePath is not null && Environment.TickCount64 >= Volatile.Read(ref _nextCheck)) ReloadIfChanged();
            return Volatile.Read(ref _ring);
        }
    }

    void ReloadIfChanged()
    {
        lock (_reload)
        {
            if (Environment.TickCount64 < _nextCheck) return;
            _nextCheck = Environment.TickCount64 + (long)ReloadInterval.TotalMilliseconds;
            try
            {
                var stamp = File.GetLastWriteTimeUtc(_filePath!);
                if (stamp == _fileStamp) return;
                Volatile.Write(ref _ring, MasterKeyFile.Load(_filePath!));
                _fileStamp = stamp;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or MasterKeyFileException)
            {
                // Keep the ring in use; the next check tries again.
            }
        }
    }

    /// <summary>Reads the key file again now (the rotation command, before it starts).</summary>
    internal MasterKeyRing ReloadNow()
    {
        if (_filePath is null) return Ring;
        lock (_reload)
        {
            _fileStamp = File.GetLastWriteTimeUtc(_filePath);
            Volatile.Write(ref _ring, MasterKeyFile.Load(_filePath));
            return _ring;
        }
    }

    /// <summary>Saves <paramref name="ring"/> as the key file (0600, atomic rename) and uses it from now on.</summary>
    internal void Save(MasterKeyRing ring)
    {
        if (_filePath is null) throw new InvalidOperationException("The master keys come from the environment, not from a file.");
        lock (_reload)
        {
            MasterKeyFile.Save(_filePath, ring);
            _fileStamp = File.GetLastWriteTimeUtc(_filePath);
            Volatile.Write(ref _ring, ring);
        }
    }

    /// <summary>True when this process generated the key file (no operator-provided key).</summary>
    public bool Generated { get; }

    /// <summary>Where the key ring lives when it is a file; null when it came from the environment.</summary>
    public string? FilePath => _filePath;

    public static MasterKeys From(IConfiguration configuration, StorageSettings storage)
    {
        if (configuration["Secrets:MasterKey"] is { Length: > 0 } inline)
            return new MasterKeys(MasterKeyRing.FromBase64(inline), null, generated: false);

        var path = configuration["Secrets:MasterKeyFile"] is { Length: > 0 } configured ? configured : Path.Combine(storage.DataDirectory, "master.key");
        if (File.Exists(path)) return new MasterKeys(MasterKeyFile.Load(path), path, generated: false);
        if (!configuration.GetValue("Secrets:GenerateMasterKey", true))
            throw new InvalidOperationException($"No master key: set Secrets:MasterKey or create the key file {path}.");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new MasterKeys(MasterKeyFile.GenerateAndActivate(path), path, generated: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return new MasterKeys(MasterKeyFile.Load(path), path, generated: false); // another process won the race
        }
    }

    /// <summary>Encrypts a small secret (a private key) with a fresh data key wrapped by the active master key.</summary>
    public async Task<byte[]> SealAsync(byte[] secret, CancellationToken ct)
    {
        using var plaintext = new MemoryStream(secret, writable: false);
        using var sealedBytes = new MemoryStream();
        await BlobCipher.EncryptAsync(plaintext, sealedBytes, Ring, cancellationToken: ct);
        return sealedBytes.ToArray();
    }

    public async Task<byte[]> UnsealAsync(byte[] sealedBytes, CancellationToken ct)
    {
        await using var decrypting = DecryptingStream.Open(new MemoryStream(sealedBytes, writable: false), Ring);
        using var plaintext = new MemoryStream();
        await decrypting.CopyToAsync(plaintext, ct);
        return plaintext.ToArray();
    }
}
