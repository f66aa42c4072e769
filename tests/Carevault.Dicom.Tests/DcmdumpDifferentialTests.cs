using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Carevault.Dicom.Tests;

/// <summary>
/// Live differential test against DCMTK's dcmdump (Debian package "dcmtk"): every model field of every file that
/// dcmdump reads cleanly must agree. Fails (never skips) when dcmdump is missing: install it with
/// <c>apt-get install -y dcmtk</c>.
/// </summary>
public sealed partial class DcmdumpDifferentialTests
{
    [Theory]
    [MemberData(nameof(TestData.GoodFiles), MemberType = typeof(TestData))]
    public void Read_GoodFile_AgreesWithDcmdumpOnEveryModelField(string file) =>
        AssertAgreesWithDcmdump(Path.Combine(TestData.Directory, file));

    /// <summary>Derived inputs for the "like dcmdump" edge cases: no preamble, no meta, guessed syntax, bad VR.</summary>
    [Theory]
    [InlineData("meta without preamble")]
    [InlineData("explicit LE data set without meta")]
    [InlineData("implicit LE data set without meta")]
    [InlineData("explicit BE data set without meta")]
    [InlineData("non-standard VR")]
    public void Read_DerivedEdgeCase_AgreesWithDcmdumpOnEveryModelField(string edgeCase)
    {
        var bytes = edgeCase switch
        {
            "meta without preamble" => TestData.Read("CT_small.dcm")[132..],
            "explicit LE data set without meta" => TestData.Read("no_meta.dcm")[1..],
            "implicit LE data set without meta" => DataSetOnly("MR_small_implicit.dcm"),
            "explicit BE data set without meta" => DataSetOnly("MR_small_bigendian.dcm"),
            _ => DicomTestFiles.File(DicomTestFiles.ExplicitLE,
                DicomTestFiles.Element(DicomTestFiles.Syntax.ExplicitLittle, 0x0009, 0x1010, "ZZ", [1, 2, 3, 4]),
                DicomTestFiles.TextElement(DicomTestFiles.Syntax.ExplicitLittle, 0x0008, 0x0060, "CS", "OT"),
                DicomTestFiles.TextElement(DicomTestFiles.Syntax.ExplicitLittle, 0x0010, 0x0020, "LO", "P3")),
        };
        var path = Path.Combine(Path.GetTempPath(), $"carevault-dicom-{Guid.NewGuid():N}.dcm");
        File.WriteAllBytes(path, bytes);
        try
        {
            AssertAgreesWithDcmdump(path);
            Assert.NotNull(DicomMetadataReader.Read(bytes).Value?.Series.Modality);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] DataSetOnly(string file)
    {
        var bytes = TestData.Read(file);
        var start = DicomFileReader.Read(bytes).Value!.Dataset.Elements[0].HeaderOffset;
        return bytes[start..];
    }

    private static void AssertAgreesWithDcmdump(string path)
    {
        var raw = Dump(path, utf8: false);
        var converted = Dump(path, utf8: true);
        var conversionFailed = converted.Stderr.Contains("is not supported", StringComparison.Ordinal);
        var text = conversionFailed ? raw : converted; // dcmdump's iconv build cannot convert ISO 2022 IR 87

        var value = DicomMetadataReader.Read(File.ReadAllBytes(path)).Value!;

        Assert.Equal(raw.Get(0x0002, 0x0010), value.TransferSyntaxUid);
        Assert.Equal(raw.Get(0x0008, 0x0005), value.SpecificCharacterSet);
        AssertText(text, 0x0010, 0x0020, value.Patient.PatientId, conversionFailed);
        AssertName(text, 0x0010, 0x0010, value.Patient.Name, conversionFailed);
        AssertDate(text.Get(0x0010, 0x0030), value.Patient.BirthDate);
        Assert.Equal(text.Get(0x0010, 0x0040) switch { "M" => DicomPatientSex.Male, "F" => DicomPatientSex.Female, "O" => DicomPatientSex.Other, _ => (DicomPatientSex?)null }, value.Patient.Sex);
        AssertText(text, 0x0020, 0x000D, value.Study.StudyInstanceUid, conversionFailed);
        AssertDate(text.Get(0x0008, 0x0020), value.Study.StudyDate);
        AssertTime(text.Get(0x0008, 0x0030), value.Study.StudyTime);
        AssertText(text, 0x0008, 0x0050, value.Study.AccessionNumber, conversionFailed);
        AssertText(text, 0x0008, 0x1030, value.Study.StudyDescription, conversionFailed);
        AssertName(text, 0x0008, 0x0090, value.Study.ReferringPhysicianName, conversionFailed);
        AssertText(text, 0x0020, 0x000E, value.Series.SeriesInstanceUid, conversionFailed);
        AssertText(text, 0x0008, 0x0060, value.Series.Modality, conversionFailed);
        AssertInteger(text.Get(0x0020, 0x0011), value.Series.SeriesNumber);
        AssertText(text, 0x0008, 0x103E, value.Series.SeriesDescription, conversionFailed);
        AssertText(text, 0x0018, 0x0015, value.Series.BodyPartExamined, conversionFailed);
        AssertText(text, 0x0008, 0x0016, value.Instance.SopClassUid, conversionFailed);
        AssertText(text, 0x0008, 0x0018, value.Instance.SopInstanceUid, conversionFailed);
        AssertInteger(text.Get(0x0020, 0x0013), value.Instance.InstanceNumber);
        AssertInteger(text.Get(0x0028, 0x0008), value.Instance.NumberOfFrames);
        AssertPixelData(raw, value.PixelData);
    }

    private static void AssertText(DumpOutput dump, ushort group, ushort element, string? actual, bool conversionFailed)
    {
        var expected = dump.Get(group, element);
        if (conversionFailed && expected is not null && !Ascii(expected))
        {
            return; // dcmdump printed undecoded ISO 2022 bytes: nothing to compare with
        }

        Assert.Equal(expected, actual);
    }

    private static void AssertName(DumpOutput dump, ushort group, ushort element, DicomPersonName? actual, bool conversionFailed)
    {
        var expected = dump.Get(group, element);
        if (conversionFailed && expected is not null)
        {
            // Only the alphabetic group is plain ASCII in dcmdump's undecoded output.
            Assert.Equal(expected.Split('=')[0], actual?.Raw.Split('=')[0]);
            return;
        }

        Assert.Equal(expected?.Split('\\')[0], actual?.Raw);
    }

    private static void AssertDate(string? expected, DateOnly? actual) =>
        Assert.Equal(DicomValueParsers.ParseDate(expected), actual);

    private static void AssertTime(string? expected, TimeOnly? actual)
    {
        if (expected is not null && Regex.IsMatch(expected, @"^\d{6}(\.\d{1,6})?$"))
        {
            Assert.Equal(expected[..6], actual?.ToString("HHmmss", CultureInfo.InvariantCulture));
            return;
        }

        Assert.Equal(DicomValueParsers.ParseTime(expected), actual);
    }

    private static void AssertInteger(string? expected, int? actual) =>
        Assert.Equal(int.TryParse(expected?.Split('\\')[0].Trim(), CultureInfo.InvariantCulture, out var n) ? n : null, actual);

    private static void AssertPixelData(DumpOutput dump, DicomPixelDataLocation? actual)
    {
        var line = dump.Line(0x7FE0, 0x0010);
        if (line is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        var sequence = PixelSequence().Match(line);
        if (sequence.Success)
        {
            Assert.True(actual.IsEncapsulated);
            Assert.Equal(int.Parse(sequence.Groups[1].Value, CultureInfo.InvariantCulture), actual.FragmentCount);
            return;
        }

        Assert.False(actual.IsEncapsulated);
        Assert.Equal(long.Parse(LengthColumn().Match(line).Groups[1].Value, CultureInfo.InvariantCulture), actual.Length);
    }

    private static bool Ascii(string value) => value.All(c => c < 0x80);

    private static DumpOutput Dump(string path, bool utf8)
    {
        // -M: do not load long values; +L: print values in full; -Un: UIDs as numbers; +U8: convert text to UTF-8.
        var start = new ProcessStartInfo("dcmdump")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-M", "+L", "-Un", "+uc" }.Concat(utf8 ? ["+U8"] : Array.Empty<string>()).Append(path))
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("dcmdump did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"dcmdump is required for this test and was not found ({e.Message}): apt-get install -y dcmtk");
            throw;
        }

        using (process)
        {
            using var stdout = new MemoryStream();
            var stderrTask = process.StandardError.ReadToEndAsync();
            process.StandardOutput.BaseStream.CopyTo(stdout);
            process.WaitForExit();
            var output = (utf8 ? Encoding.UTF8 : Encoding.Latin1).GetString(stdout.ToArray());
            var unsupportedCharset = utf8 && stderrTask.Result.Contains("is not supported", StringComparison.Ordinal);
            Assert.True(process.ExitCode == 0 || unsupportedCharset, $"dcmdump failed on {path}: {stderrTask.Result}");
            return new DumpOutput(output, stderrTask.Result);
        }
    }

    [GeneratedRegex(@"\(PixelSequence #=(\d+)\)")]
    private static partial Regex PixelSequence();

    [GeneratedRegex(@"#\s*(\d+),")]
    private static partial Regex LengthColumn();

    private sealed partial class DumpOutput(string stdout, string stderr)
    {
        public string Stderr { get; } = stderr;

        /// <summary>The top-level line of a tag (nested lines are indented, so they never match).</summary>
        public string? Line(ushort group, ushort element)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"({group:x4},{element:x4}) ");
            return stdout.Split('\n').FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal));
        }

        /// <summary>The printed value with dcmdump's brackets removed; null when absent or "(no value available)".</summary>
        public string? Get(ushort group, ushort element)
        {
            var line = Line(group, element);
            if (line is null)
            {
                return null;
            }

            var match = Value().Match(line);
            if (!match.Success)
            {
                return null;
            }

            var value = match.Groups[1].Value.Trim(' ', '\0');
            return value.Length == 0 ? null : value;
        }

        [GeneratedRegex(@"^\([0-9a-f]{4},[0-9a-f]{4}\) \S\S \[(.*)\]\s+#")]
        private static partial Regex Value();
    }
}
