using System.Security.Cryptography;
using System.Text;

namespace Carevault.Identity.Clients;

/// <summary>
/// Client secrets: 256 random bits, shown once, stored as <c>v1$salt$SHA-256(salt ‖ secret)</c>.
/// A slow password hash (PBKDF2) protects low-entropy human passwords; a 256-bit random secret cannot be guessed,
/// so a salted fast hash is as strong and keeps token issue cheap (decision 0006).
/// </summary>
public static class ClientSecret
{
    /// <summary>Prefix that lets secret scanners recognise a leaked Carevault client secret.</summary>
    public const string Prefix = "cvs_";

    public static string Generate() => Prefix + Tokens.RandomToken.New();

    public static string Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"v1${Convert.ToBase64String(salt)}${Convert.ToBase64String(Digest(salt, secret))}";
    }

    /// <summary>Constant-time check of a presented secret against a stored hash.</summary>
    public static bool Verify(string secret, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 3 || parts[0] != "v1") return false;
        var expected = Convert.FromBase64String(parts[2]);
        return CryptographicOperations.FixedTimeEquals(Digest(Convert.FromBase64String(parts[1]), secret), expected);
    }

    static byte[] Digest(byte[] salt, string secret)
    {
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var input = new byte[salt.Length + secretBytes.Length];
        salt.CopyTo(input, 0);
        secretBytes.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }
}
