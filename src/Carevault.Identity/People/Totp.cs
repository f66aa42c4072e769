using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Carevault.Identity.People;

/// <summary>The HMAC behind a TOTP code (RFC 6238 §1.2: SHA-1 by default, SHA-256 and SHA-512 allowed).</summary>
public enum TotpAlgorithm
{
    Sha1,
    Sha256,
    Sha512,
}

/// <summary>
/// Time-based one-time passwords, RFC 6238 over RFC 4226's HOTP: pure functions of the secret, the time and the last
/// accepted step — no I/O, no clock of its own. Defaults are what authenticator apps expect: HMAC-SHA1, 30-second
/// steps from the Unix epoch, 6 digits; verification accepts one step either side for clock drift (RFC 6238 §5.2).
/// </summary>
public static class Totp
{
    public const int DefaultDigits = 6;
    public const int DefaultStepSeconds = 30;
    public const int DefaultWindow = 1;

    static readonly int[] PowersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

    /// <summary>The time step T = floor((now − T0) / X) with T0 = 0 (RFC 6238 §4.2).</summary>
    public static long StepAt(DateTimeOffset time, int stepSeconds = DefaultStepSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSeconds, 1);
        var seconds = time.ToUnixTimeSeconds();
        return seconds >= 0 ? seconds / stepSeconds : (seconds - stepSeconds + 1) / stepSeconds;
    }

    /// <summary>The code for one time step, zero-padded to <paramref name="digits"/> (6 to 9).</summary>
    public static string Generate(ReadOnlySpan<byte> secret, long step, int digits = DefaultDigits, TotpAlgorithm algorithm = TotpAlgorithm.Sha1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 6);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 9);
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[64];
        var length = algorithm switch
        {
#pragma warning disable CA5350 // RFC 6238 §1.2 and every authenticator app use HMAC-SHA1; HMAC-SHA1 is not broken as a PRF.
            TotpAlgorithm.Sha1 => HMACSHA1.HashData(secret, counter, hash),
#pragma warning restore CA5350
            TotpAlgorithm.Sha256 => HMACSHA256.HashData(secret, counter, hash),
            TotpAlgorithm.Sha512 => HMACSHA512.HashData(secret, counter, hash),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        // RFC 4226 §5.3 dynamic truncation: the low nibble of the last byte picks four bytes; drop their top bit.
        var offset = hash[length - 1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        var code = binary % PowersOfTen[digits];
        return code.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The time step whose code matches, or null. Steps at or before <paramref name="lastUsedStep"/> never match, so a
    /// code (or an older one) is accepted once only; the caller stores the returned step as the new last used step.
    /// Every candidate is compared in constant time, whatever matched.
    /// </summary>
    public static long? Verify(ReadOnlySpan<byte> secret, string code, DateTimeOffset now, long lastUsedStep,
        int digits = DefaultDigits, int stepSeconds = DefaultStepSeconds, int window = DefaultWindow, TotpAlgorithm algorithm = TotpAlgorithm.Sha1)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length != digits || !IsDigits(code)) return null;
        var given = Encoding.ASCII.GetBytes(code);
        var current = StepAt(now, stepSeconds);
        long? matched = null;
        for (var step = current - window; step <= current + window; step++)
        {
            var expected = Encoding.ASCII.GetBytes(Generate(secret, step, digits, algorithm));
            if (CryptographicOperations.FixedTimeEquals(expected, given) && step > lastUsedStep && matched is null) matched = step;
        }
        Debug.Assert(matched is null || matched > lastUsedStep);
        return matched;
    }

    static bool IsDigits(string value)
    {
        foreach (var c in value)
            if (c is < '0' or > '9') return false;
        return true;
    }
}

/// <summary>RFC 4648 §6 base32 (upper case, no padding), the form authenticator apps take secrets in.</summary>
public static class Base32
{
    const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }

    /// <summary>Decodes, ignoring case, spaces and padding; null when a character is not base32.</summary>
    public static byte[]? Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            if (c is ' ' or '=') continue;
            var value = Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (value < 0) return null;
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. output];
    }
}
