namespace Carevault.Ingestion.Scanning;

/// <summary>
/// Checks that a file's first bytes are those of its declared format, so a file cannot reach a parser under a
/// false name. The signatures: DICOM Part 10 "DICM" after the 128-byte preamble (PS3.10 §7.1); PDF "%PDF-" (ISO
/// 32000-1 §7.5.2); HL7 v2 a message, file or batch header segment (MSH, FHS, BHS; v2.5.1 §2.5, §2.10.3); FHIR JSON
/// an object. A UTF-8 byte order mark is allowed before text formats.
/// </summary>
public static class ContentSniffer
{
    /// <summary>Bytes the sniffer needs to decide (fewer only when the file is shorter).</summary>
    public const int HeaderBytes = 132;

    public static bool Matches(ReportFormat format, ReadOnlySpan<byte> header)
    {
        switch (format)
        {
            case ReportFormat.Dicom:
                return header.Length >= 132 && header.Slice(128, 4).SequenceEqual("DICM"u8);
            case ReportFormat.Pdf:
                return header.StartsWith("%PDF-"u8);
        }
        var text = header.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? header[3..] : header;
        if (format == ReportFormat.Hl7v2)
            return text.Length >= 4 && (text.StartsWith("MSH"u8) || text.StartsWith("FHS"u8) || text.StartsWith("BHS"u8));
        // RFC 8259 §2: insignificant whitespace may precede the value.
        var start = text.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && text[start] == (byte)'{';
    }
}
