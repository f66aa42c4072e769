using System.Buffers.Text;
using System.Security.Cryptography;

namespace Carevault.Identity.Tokens;

/// <summary>Unguessable bearer values (session cookies, reset links, client secrets): 256 random bits, base64url.</summary>
public static class RandomToken
{
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
