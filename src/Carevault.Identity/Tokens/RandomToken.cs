using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Carevault.Identity.Tokens;

/// <summary>
/// Unguessable bearer values (session cookies, reset and invitation links, authorization codes, refresh tokens,
/// client secrets): 256 random bits, base64url. Stored only as <see cref="Hash"/>: a 256-bit random value needs no
/// slow hash, and a copy of the database opens nothing.
/// </summary>
public static class RandomToken
{
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lowercase hex SHA-256, the form in which tokens are stored and looked up.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
