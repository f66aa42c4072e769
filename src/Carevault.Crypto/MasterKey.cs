using System.Security.Cryptography;
using System.Text;

namespace Carevault.Crypto;

/// <summary>
/// A 256-bit master key (key-encryption key) and its id. Master keys only wrap per-object data keys; they never
/// encrypt content. The id is recorded in every blob header so the right key is found after rotation.
/// </summary>
public sealed class MasterKey
{
    public const int KeySize = 32;

    private readonly byte[] _material;

    private MasterKey(string id, byte[] material)
    {
        Id = id;
        _material = material;
    }

    /// <summary>Id recorded in blob headers: 1–32 characters of <c>[A-Za-z0-9._-]</c>.</summary>
    public string Id { get; }

    internal ReadOnlySpan<byte> Material => _material;

    /// <summary>A new random key; without <paramref name="id"/> the id is derived from the key.</summary>
    public static MasterKey Generate(string? id = null)
    {
        var material = RandomNumberGenerator.GetBytes(KeySize);
        return new MasterKey(id is null ? DeriveId(material) : ValidateId(id), material);
    }

    /// <summary>A key from its 32 bytes; without <paramref name="id"/> the id is derived from the key.</summary>
    public static MasterKey FromBytes(ReadOnlySpan<byte> material, string? id = null)
    {
        if (material.Length != KeySize)
        {
            throw new ArgumentException($"A master key is {KeySize} bytes, not {material.Length}.", nameof(material));
        }

        return new MasterKey(id is null ? DeriveId(material) : ValidateId(id), material.ToArray());
    }

    /// <summary>A key from base64 of its 32 bytes.</summary>
    public static MasterKey FromBase64(string base64, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(base64);
        Span<byte> material = stackalloc byte[KeySize + 3];
        try
        {
            if (!Convert.TryFromBase64String(base64.Trim(), material, out int written) || written != KeySize)
            {
                throw new FormatException($"A master key must be base64 of exactly {KeySize} bytes.");
            }

            return FromBytes(material[..KeySize], id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>
    /// Derived id: "mk-" and 16 hex digits of HKDF-SHA256(key, info "carevault/master-key-id/v1"), so the id
    /// names the key without revealing anything usable about it (RFC 5869).
    /// </summary>
    public static string DeriveId(ReadOnlySpan<byte> material)
    {
        Span<byte> id = stackalloc byte[8];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, material, id, salt: default, info: "carevault/master-key-id/v1"u8);
        return "mk-" + Convert.ToHexStringLower(id);
    }

    /// <summary>
    /// A 32-byte key for another purpose (e.g. the audit chain's HMAC), derived with HKDF-SHA256 under
    /// <paramref name="purpose"/> as info (RFC 5869), so keys for different purposes are independent. A secret.
    /// </summary>
    public byte[] DeriveKey(string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _material, KeySize, salt: [], info: Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>The key as base64, for writing a key file. Handle the result as a secret.</summary>
    public string ExportBase64() => Convert.ToBase64String(_material);

    internal static string ValidateId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidId(id))
        {
            throw new ArgumentException(
                $"A master key id is 1–{BlobFormat.MaxKeyIdLength} characters of A-Z, a-z, 0-9, '.', '_' or '-'.",
                nameof(id));
        }

        return id;
    }

    internal static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > BlobFormat.MaxKeyIdLength)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    internal static int EncodeId(string id, Span<byte> destination) => Encoding.ASCII.GetBytes(id, destination);
}
