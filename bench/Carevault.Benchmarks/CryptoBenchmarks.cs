using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carevault.Crypto;

namespace Carevault.Benchmarks;

/// <summary>
/// The encryption stream over 10 MiB beside the physical limits measured in the same run: raw AES-256-GCM over
/// 64 KiB buffers (the stream's chunk size), SHA-256, both together (what the upload path must do: encrypt and hash),
/// a memory copy and a file copy (page cache; no fsync) of the same size. Issue 5 target: encryption ≥ 50% of raw
/// AES-GCM.
/// </summary>
[MemoryDiagnoser]
[BytesPerOp(Size)]
public class CryptoBenchmarks
{
    const int Size = 10 * 1024 * 1024;
    const int Chunk = 64 * 1024;

    readonly byte[] _plaintext = new byte[Size];
    readonly byte[] _target = new byte[Size];
    readonly byte[] _chunkOut = new byte[Chunk];
    readonly byte[] _tag = new byte[16];
    readonly byte[] _nonce = new byte[12];
    readonly MasterKeyRing _keys = new(MasterKey.Generate("bench"));
    AesGcm _aes = null!;
    byte[] _ciphertext = null!;
    MemoryStream _sink = null!;
    string _fileA = "", _fileB = "";

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_plaintext);
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        _sink = new MemoryStream(Size + Size / 8);
        using (var encrypting = new EncryptingStream(_sink, _keys, new BlobEncryptionOptions { LeaveOpen = true }))
        {
            encrypting.Write(_plaintext);
            encrypting.CompleteAsync().GetAwaiter().GetResult();
        }
        _ciphertext = _sink.ToArray();
        _fileA = Path.Combine(Path.GetTempPath(), $"carevault-bench-{Environment.ProcessId}-a.bin");
        _fileB = Path.Combine(Path.GetTempPath(), $"carevault-bench-{Environment.ProcessId}-b.bin");
        File.WriteAllBytes(_fileA, _plaintext);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        File.Delete(_fileA);
        File.Delete(_fileB);
    }

    [Benchmark(Baseline = true, Description = "limit: AES-256-GCM raw, 64 KiB")]
    public void AesGcmRaw()
    {
        for (var offset = 0; offset < Size; offset += Chunk)
        {
            _nonce[0]++;
            _aes.Encrypt(_nonce, _plaintext.AsSpan(offset, Chunk), _chunkOut, _tag);
        }
    }

    [Benchmark(Description = "limit: SHA-256")]
    public byte[] Sha256() => SHA256.HashData(_plaintext);

    [Benchmark(Description = "limit: AES-GCM + SHA-256")]
    public byte[] AesGcmPlusSha256()
    {
        AesGcmRaw();
        return SHA256.HashData(_plaintext);
    }

    [Benchmark(Description = "limit: memory copy")]
    public void MemoryCopy() => _plaintext.AsSpan().CopyTo(_target);

    [Benchmark(Description = "limit: file copy (page cache)")]
    public void FileCopy() => File.Copy(_fileA, _fileB, overwrite: true);

    [Benchmark(Description = "EncryptingStream (write 64 KiB at a time)")]
    public void EncryptingStreamWrite()
    {
        _sink.Position = 0;
        _sink.SetLength(0);
        using var encrypting = new EncryptingStream(_sink, _keys, new BlobEncryptionOptions { LeaveOpen = true });
        for (var offset = 0; offset < Size; offset += Chunk) encrypting.Write(_plaintext, offset, Chunk);
        encrypting.CompleteAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "DecryptingStream (read to end)")]
    public long DecryptingStreamRead()
    {
        using var decrypting = DecryptingStream.Open(new MemoryStream(_ciphertext, writable: false), _keys);
        long total = 0;
        int read;
        while ((read = decrypting.Read(_target, 0, Chunk)) > 0) total += read;
        return total;
    }
}
