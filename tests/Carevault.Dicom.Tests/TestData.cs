namespace Carevault.Dicom.Tests;

/// <summary>The files of tests/data/dicom (copied to the output folder) and their dcmdump ground truth.</summary>
internal static class TestData
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "data", "dicom");

    public static byte[] Read(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    public static IReadOnlyList<ExpectedRow> Expected { get; } = LoadExpected();

    public static IEnumerable<object[]> AllFiles() => Expected.Select(row => new object[] { row.File });

    public static IEnumerable<object[]> GoodFiles() => Expected.Where(row => row.IsOk).Select(row => new object[] { row.File });

    public static ExpectedRow Row(string file) => Expected.Single(row => row.File == file);

    private static List<ExpectedRow> LoadExpected()
    {
        var lines = File.ReadAllLines(Path.Combine(Directory, "expected.tsv"));
        var header = lines[0].Split('\t');
        Assert.Equal(
            ["file", "dcmdump_status", "TransferSyntaxUID", "SOPClassUID", "Modality", "PatientID", "StudyInstanceUID", "SpecificCharacterSet", "dcmdump_stderr"],
            header);
        return lines.Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            var c = line.Split('\t');
            return new ExpectedRow(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        }).ToList();
    }
}

/// <summary>One line of expected.tsv. "(absent)" = not present at top level; "(no file meta)" = no group 0002.</summary>
internal sealed record ExpectedRow(string File, string Status, string TransferSyntaxUid, string SopClassUid, string Modality,
    string PatientId, string StudyInstanceUid, string SpecificCharacterSet)
{
    public bool IsOk => Status == "ok";

    /// <summary>The recovery options named in a FAIL status: "+Ep" (ignore parse errors) or "+st gggg,eeee" (stop after).</summary>
    public DicomReaderOptions? RecoveryOptions()
    {
        if (IsOk)
        {
            return null;
        }

        var st = System.Text.RegularExpressions.Regex.Match(Status, @"\+st ([0-9a-fA-F]{4}),([0-9a-fA-F]{4})");
        if (st.Success)
        {
            return new DicomReaderOptions
            {
                StopAfter = new DicomTag(Convert.ToUInt16(st.Groups[1].Value, 16), Convert.ToUInt16(st.Groups[2].Value, 16)),
            };
        }

        Assert.Contains("+Ep", Status, StringComparison.Ordinal);
        return DicomReaderOptions.Default; // +Ep: the values read before the error, i.e. DicomReadResult.Partial
    }

    /// <summary>Maps a cell to the value our model holds: absent and empty are both null.</summary>
    public static string? Cell(string value) => value is "(absent)" or "(no file meta)" or "" ? null : value;
}
