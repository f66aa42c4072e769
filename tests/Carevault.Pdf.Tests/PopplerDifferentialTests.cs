using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Carevault.Pdf.Tests;

/// <summary>
/// Differential test against poppler-utils (Debian package <c>poppler-utils</c>: pdfinfo, pdftotext).
/// Per file: page count, version, title, producer, dates and encryption must match pdfinfo -isodates; text must contain ≥95% of pdftotext's words in
/// pdftotext's order (longest common subsequence of whitespace-separated words / pdftotext's word count), and ≥95%
/// of our words must be poppler's (so we do not pass by emitting noise). A file poppler rejects we must reject too.
/// Fails — never skips — when the tools are missing.
/// </summary>
public class PopplerDifferentialTests(ITestOutputHelper output)
{
    private const double RequiredWordAgreement = 0.95;

    // The user password of the encrypted sample (SOURCES.md), so poppler can report what it holds.
    private static readonly Dictionary<string, string> Passwords = new(StringComparer.Ordinal)
    {
        ["lab_lipid_encrypted_aes256_userpw.pdf"] = "test1234",
    };

    public static TheoryData<string> Files() => new(TestFiles.AllPdfNames());

    [Theory]
    [MemberData(nameof(Files))]
    public void Open_ComparedWithPdfinfo_AgreesOnPagesVersionInfoAndEncryption(string file)
    {
        var info = Pdfinfo(file);
        var ours = PdfReader.Open(TestFiles.Read(file));

        if (info.ExitCode != 0)
        {
            output.WriteLine($"poppler rejects {file}: {info.Stderr.Trim()}");
            Assert.False(ours.IsSuccess, "poppler rejects this file, we accepted it");
            output.WriteLine($"we reject it too: {ours.Error}");
            return;
        }
        Assert.True(ours.IsSuccess, ours.Error?.ToString());
        var doc = ours.Value!;
        var fields = ParseInfo(info.Stdout);
        Assert.Equal(int.Parse(fields["Pages"], System.Globalization.CultureInfo.InvariantCulture), doc.PageCount);
        var popplerEncrypted = fields["Encrypted"].StartsWith("yes", StringComparison.Ordinal);
        Assert.Equal(popplerEncrypted, doc.IsEncrypted);
        fields.TryGetValue("Title", out var title);
        Assert.Equal(fields["PDF version"], doc.Version);
        if (popplerEncrypted)
        {
            Assert.Null(doc.Metadata.Title); // poppler decrypts with the password; we do not decrypt
        }
        else
        {
            Assert.Equal(title, doc.Metadata.Title);
            Assert.Equal(fields.GetValueOrDefault("Producer"), doc.Metadata.Producer);
            Assert.Equal(fields.GetValueOrDefault("CreationDate"), IsoDate(doc.Metadata.CreationDate));
            Assert.Equal(fields.GetValueOrDefault("ModDate"), IsoDate(doc.Metadata.ModDate));
        }
        output.WriteLine($"{file}: pages {doc.PageCount}, version {doc.Version}, title '{title}', encrypted {popplerEncrypted}: agree");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ExtractText_ComparedWithPdftotext_ContainsItsWordsInOrder(string file)
    {
        var poppler = Run("pdftotext", PasswordArgs(file).Concat(["-enc", "UTF-8", TestFiles.PathOf(file), "-"]));
        var ours = PdfReader.Open(TestFiles.Read(file));
        if (poppler.ExitCode != 0)
        {
            Assert.False(ours.IsSuccess, "poppler rejects this file, we accepted it");
            output.WriteLine($"{file}: both reject ({ours.Error!.Code})");
            return;
        }
        Assert.True(ours.IsSuccess, ours.Error?.ToString());
        var text = ours.Value!.ExtractText();
        if (ours.Value.IsEncrypted)
        {
            // Known gap: no decryption. The document must say so as a value, not return wrong text.
            Assert.Equal(PdfErrorKind.Encrypted, text.Error!.Kind);
            output.WriteLine($"{file}: encrypted, poppler (with password) has {Words(poppler.Stdout).Length} words, we report 'encrypted'");
            return;
        }
        Assert.True(text.IsSuccess, text.Error?.ToString());
        var expected = Words(poppler.Stdout);
        var actual = Words(text.Value!.FullText);
        if (expected.Length == 0)
        {
            Assert.Empty(actual);
            Assert.False(text.Value.HasTextLayer);
            output.WriteLine($"{file}: no text in either");
            return;
        }
        var common = LongestCommonSubsequence(expected, actual);
        var recall = (double)common / expected.Length;
        var precision = actual.Length == 0 ? 0 : (double)common / actual.Length;
        output.WriteLine($"{file}: poppler {expected.Length} words, ours {actual.Length}, in order {common} → recall {recall:P1}, precision {precision:P1}");
        Assert.True(recall >= RequiredWordAgreement, $"only {recall:P1} of pdftotext's words appear in order");
        Assert.True(precision >= RequiredWordAgreement, $"only {precision:P1} of our words are pdftotext's");
    }

    private static string? IsoDate(DateTimeOffset? d) =>
        d is null ? null : d.Value.Offset == TimeSpan.Zero
            ? d.Value.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)
            : d.Value.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<string> PasswordArgs(string file) =>
        Passwords.TryGetValue(file, out var pw) ? ["-upw", pw] : [];

    private static (int ExitCode, string Stdout, string Stderr) Pdfinfo(string file) =>
        Run("pdfinfo", PasswordArgs(file).Concat(["-isodates", "-enc", "UTF-8", TestFiles.PathOf(file)]));

    private static Dictionary<string, string> ParseInfo(string stdout)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) fields.TryAdd(line[..colon], line[(colon + 1)..].Trim());
        }
        return fields;
    }

    internal static string[] Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    internal static int LongestCommonSubsequence(string[] a, string[] b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"{tool} is not installed ({e.Message}); install Debian package poppler-utils: apt-get install -y poppler-utils");
            throw;
        }
        Assert.NotNull(process);
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(30_000), $"{tool} did not finish in 30 s");
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
