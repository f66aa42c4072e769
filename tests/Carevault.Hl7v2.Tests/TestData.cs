namespace Carevault.Hl7v2.Tests;

/// <summary>The HL7 v2 corpus copied next to the test binaries (tests/data/hl7v2, see SOURCES.md there).</summary>
internal static class TestData
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "data", "hl7v2");

    public static IEnumerable<string> AllFiles() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.hl7").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static TheoryData<string> AllFileNames()
    {
        var data = new TheoryData<string>();
        foreach (string file in AllFiles())
        {
            data.Add(file);
        }

        return data;
    }

    public static bool IsMalformed(string file) =>
        file.Contains("malformed", StringComparison.Ordinal);

    public static byte[] Read(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    public static bool IsBatch(byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith(Hl7v2SegmentReader.Utf8Bom))
        {
            span = span[3..];
        }

        return span.StartsWith("FHS"u8) || span.StartsWith("BHS"u8);
    }
}
