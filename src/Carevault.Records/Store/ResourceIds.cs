using System.Security.Cryptography;

namespace Carevault.Records.Store;

/// <summary>
/// Server-assigned logical ids: UUIDv7 (RFC 9562 §5.7) as 32 lowercase hex digits. The first 48 bits are the creation
/// time and the next 12 a counter within the millisecond (RFC 9562 §6.2, method 1), so ids from one process sort by
/// creation: search pages by id (keyset) and new resources land after the pages already read.
/// </summary>
internal static class ResourceIds
{
    static readonly Lock Gate = new();
    static long _lastMs;
    static int _counter;

    public static string New(TimeProvider clock)
    {
        long ms;
        int counter;
        lock (Gate)
        {
            ms = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (ms <= _lastMs)
            {
                ms = _lastMs;
                if (++_counter > 0xFFF)
                {
                    ms++;
                    _counter = 0;
                }
            }
            else _counter = 0;
            _lastMs = ms;
            counter = _counter;
        }
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(ms >> (40 - 8 * i));
        bytes[6] = (byte)(0x70 | (counter >> 8));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>FHIR R4 id: <c>[A-Za-z0-9\-\.]{1,64}</c>.</summary>
    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > 64) return false;
        foreach (var c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.')) return false;
        return true;
    }
}
