namespace Carevault.Fhir;

/// <summary>Helpers for FHIR JSON bytes at the boundary (HTTP bodies, files, queue payloads).</summary>
public static class FhirJson
{
    /// <summary>
    /// Drops a leading UTF-8 byte order mark. RFC 8259 §8.1: senders must not add one, receivers may ignore it.
    /// Carevault's validator rejects a BOM (a parser must not guess), so the caller that accepts bytes from the
    /// outside — the HTTP layer, the file importer — calls this first and stores the BOM-free bytes.
    /// </summary>
    public static ReadOnlyMemory<byte> SkipUtf8Bom(ReadOnlyMemory<byte> utf8Json) =>
        HasUtf8Bom(utf8Json.Span) ? utf8Json[3..] : utf8Json;

    /// <summary>True when the bytes start with EF BB BF.</summary>
    public static bool HasUtf8Bom(ReadOnlySpan<byte> utf8Json) => utf8Json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
}
