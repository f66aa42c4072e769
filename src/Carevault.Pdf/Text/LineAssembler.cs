using System.Text;

namespace Carevault.Pdf.Text;

/// <summary>A shown string in device space: start and end x on its baseline y, and its effective font size.</summary>
internal readonly record struct TextRun(string Text, double X0, double X1, double Y, double Size);

/// <summary>
/// Orders runs for search: runs whose baselines are within half a font size share a line (superscripts stay on their
/// line), lines go top to bottom, runs left to right, and a gap wider than 15% of the font size becomes a space —
/// close to what pdftotext does for single-column documents.
/// </summary>
internal static class LineAssembler
{
    private const int LineSearchWindow = 64;

    private sealed class Line(double y, double size)
    {
        public double Y { get; } = y;
        public double Size { get; set; } = size;
        public List<TextRun> Runs { get; } = [];
    }

    public static string Assemble(List<TextRun> runs)
    {
        if (runs.Count == 0) return "";
        var lines = new List<Line>();
        foreach (var run in runs)
        {
            Line? target = null;
            // Only recent lines are candidates: bounded work per run, whatever the page holds.
            for (var i = lines.Count - 1; i >= 0 && i >= lines.Count - LineSearchWindow; i--)
            {
                var line = lines[i];
                if (Math.Abs(line.Y - run.Y) < 0.5 * Math.Max(line.Size, run.Size)) { target = line; break; }
            }
            if (target is null)
            {
                target = new Line(run.Y, run.Size);
                lines.Add(target);
            }
            target.Size = Math.Max(target.Size, run.Size);
            target.Runs.Add(run);
        }
        lines.Sort((a, b) => b.Y.CompareTo(a.Y)); // List.Sort is unstable; equal baselines were merged above
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            var sorted = line.Runs;
            sorted.Sort((a, b) => a.X0.CompareTo(b.X0));
            var lineStart = sb.Length;
            TextRun? previous = null;
            foreach (var run in sorted)
            {
                if (previous is { } p)
                {
                    var gap = run.X0 - p.X1;
                    var needsSpace = gap > 0.15 * Math.Max(Math.Min(p.Size, run.Size), 0.1);
                    if (needsSpace && sb.Length > lineStart && sb[^1] != ' ' && (run.Text.Length == 0 || run.Text[0] != ' ')) sb.Append(' ');
                }
                sb.Append(run.Text);
                previous = run;
            }
            TrimEnd(sb);
            sb.Append('\n');
        }
        TrimEnd(sb);
        return sb.ToString();
    }

    private static void TrimEnd(StringBuilder sb)
    {
        while (sb.Length > 0 && char.IsWhiteSpace(sb[^1])) sb.Length--;
    }
}
