using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Carevault.Hl7v2.Tests.Differential;

/// <summary>
/// Compares our field values with python-hl7 0.4.x (Debian package python3-hl7), a mature independent parser, on
/// every well-formed corpus file. The test fails — it does not skip — when python3 or the hl7 module is missing.
/// Deliberate differences (documented in src/Carevault.Hl7v2/README.md) are normalised here, nowhere else:
/// <list type="bullet">
/// <item>python-hl7 maps \.br\ to CR; we map it to LF (a CR inside a value would read as a segment end downstream).</item>
/// <item>python-hl7 maps \H\ and \N\ (highlight on/off) to "_"; we drop them.</item>
/// </list>
/// </summary>
public class PythonHl7DifferentialTests
{
    private static readonly string ScriptPath = Path.Combine(AppContext.BaseDirectory, "Differential", "hl7_dump.py");

    [Fact]
    public void Parse_EveryWellFormedCorpusFile_MatchesPythonHl7()
    {
        string[] files = TestData.AllFiles().Where(f => !TestData.IsMalformed(f)).ToArray();
        Assert.NotEmpty(files);
        using JsonDocument dump = RunPython(files);
        var differences = new List<string>();
        int compared = 0;
        int unescapedCompared = 0;

        foreach (string file in files)
        {
            JsonElement entry = dump.RootElement.GetProperty(Path.Combine(TestData.Directory, file));
            Assert.False(entry.TryGetProperty("error", out JsonElement pyError), $"{file}: python-hl7 failed: {pyError}");
            Hl7Message[] ours = ParseAll(file);
            JsonElement theirs = entry.GetProperty("messages");
            if (theirs.GetArrayLength() != ours.Length)
            {
                differences.Add($"{file}: {ours.Length} messages, python-hl7 {theirs.GetArrayLength()}");
                continue;
            }

            for (int m = 0; m < ours.Length; m++)
            {
                compared += CompareStructure(file, m, ours[m], theirs[m], differences);
            }

            foreach (JsonElement leaf in entry.GetProperty("unescaped").EnumerateArray())
            {
                int[] at = [.. leaf.EnumerateArray().Take(6).Select(e => e.GetInt32())];
                string expected = Normalise(leaf[6].GetString()!);
                string actual = ours[at[0]].Segments[at[1]].Field(at[2]).Repetition(at[3]).Component(at[4]).SubComponent(at[5]).GetString();
                unescapedCompared++;
                if (expected != actual)
                {
                    differences.Add($"{file} msg {at[0]} seg {at[1]} field {at[2]}: unescaped '{Shorten(actual)}' vs python-hl7 '{Shorten(expected)}'");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences.Take(40)));
        Assert.True(compared > 5_000, $"only {compared} leaves compared");
        Assert.True(unescapedCompared > 5, $"only {unescapedCompared} unescaped leaves compared");
    }

    private static string Normalise(string python) =>
        python.Replace("\r", "\n", StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;

    private static Hl7Message[] ParseAll(string file)
    {
        byte[] bytes = TestData.Read(file);
        Hl7Batch batch = Hl7v2Parser.ParseBatch(bytes).Value ?? throw new InvalidOperationException(file);
        return [.. batch.Messages.Select(r => r.Value ?? throw new InvalidOperationException($"{file}: {r.Error}"))];
    }

    /// <summary>Compares every leaf (segment/field/repetition/component/sub-component, raw text); returns the count.</summary>
    private static int CompareStructure(string file, int m, Hl7Message ours, JsonElement theirs, List<string> differences)
    {
        int leaves = 0;
        if (theirs.GetArrayLength() != ours.Segments.Count)
        {
            differences.Add($"{file} msg {m}: {ours.Segments.Count} segments, python-hl7 {theirs.GetArrayLength()}");
            return 0;
        }

        for (int s = 0; s < ours.Segments.Count; s++)
        {
            Hl7Segment segment = ours.Segments[s];
            JsonElement pySegment = theirs[s];
            if (pySegment.GetArrayLength() != segment.FieldCount + 1)
            {
                differences.Add($"{file} msg {m} seg {s} ({segment.Id}): {segment.FieldCount + 1} fields, python-hl7 {pySegment.GetArrayLength()}");
                continue;
            }

            for (int f = 0; f <= segment.FieldCount; f++)
            {
                string ourField = Render(segment.Field(f));
                string theirField = Render(pySegment[f]);
                leaves++;
                if (ourField != theirField)
                {
                    differences.Add($"{file} msg {m} seg {s} ({segment.Id}) field {f}: '{Shorten(ourField)}' vs python-hl7 '{Shorten(theirField)}'");
                }
            }
        }

        return leaves;
    }

    /// <summary>A field as nested lists of raw leaves, e.g. [[["a","b"],["c"]]].</summary>
    private static string Render(Hl7Value field)
    {
        var sb = new StringBuilder("[");
        int repetitions = Math.Max(1, field.RepetitionCount);
        for (int r = 0; r < repetitions; r++)
        {
            Hl7Value rep = field.Repetition(r);
            sb.Append(r > 0 ? ",[" : "[");
            int components = field.Level == Hl7ValueLevel.Literal ? 1 : Math.Max(1, rep.ComponentCount);
            for (int c = 1; c <= components; c++)
            {
                Hl7Value comp = rep.Component(c);
                sb.Append(c > 1 ? ",[" : "[");
                int subs = field.Level == Hl7ValueLevel.Literal ? 1 : Math.Max(1, comp.SubComponentCount);
                for (int k = 1; k <= subs; k++)
                {
                    sb.Append(k > 1 ? "," : string.Empty).Append(JsonSerializer.Serialize(comp.SubComponent(k).GetRawString()));
                }

                sb.Append(']');
            }

            sb.Append(']');
        }

        return sb.Append(']').ToString();
    }

    private static string Render(JsonElement field)
    {
        var sb = new StringBuilder("[");
        int r = 0;
        foreach (JsonElement rep in field.EnumerateArray())
        {
            sb.Append(r++ > 0 ? ",[" : "[");
            int c = 0;
            foreach (JsonElement comp in rep.EnumerateArray())
            {
                sb.Append(c++ > 0 ? ",[" : "[");
                int k = 0;
                foreach (JsonElement leaf in comp.EnumerateArray())
                {
                    sb.Append(k++ > 0 ? "," : string.Empty).Append(JsonSerializer.Serialize(leaf.GetString()));
                }

                sb.Append(']');
            }

            sb.Append(']');
        }

        return sb.Append(']').ToString();
    }

    private static JsonDocument RunPython(string[] files)
    {
        string python = FindPython();
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(ScriptPath);
        foreach (string file in files)
        {
            start.ArgumentList.Add(Path.Combine(TestData.Directory, file));
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "python-hl7 dump timed out");
        Assert.True(process.ExitCode == 0,
            $"python-hl7 dump failed (exit {process.ExitCode}). Install it with: apt-get install python3-hl7. {stderr.Result}");
        return JsonDocument.Parse(stdout);
    }

    /// <summary>CAREVAULT_PYTHON, else the Debian interpreter (where apt puts python3-hl7), else python3 on PATH.</summary>
    private static string FindPython()
    {
        string? configured = Environment.GetEnvironmentVariable("CAREVAULT_PYTHON");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        return File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    }
}
