using Carevault.Pdf.Parsing;

namespace Carevault.Pdf;

/// <summary>Kinds of active content the quarantine policy cares about.</summary>
public enum PdfActiveContentKind
{
    /// <summary>A JavaScript action (/S /JavaScript, /JS) or the document-level /JavaScript name tree.</summary>
    JavaScript,
    /// <summary>The catalog's /OpenAction runs JavaScript when the file is opened.</summary>
    OpenActionJavaScript,
    /// <summary>A /Launch action (runs a program or opens a file).</summary>
    Launch,
    /// <summary>An embedded file (/EmbeddedFile stream, /EmbeddedFiles name tree, /EF in a file specification).</summary>
    EmbeddedFile,
    /// <summary>/RichMedia annotation or content (Flash, video).</summary>
    RichMedia,
    /// <summary>/AA additional actions triggered by events (page open, field focus...).</summary>
    AdditionalActions,
    /// <summary>/SubmitForm sends form data to a URL.</summary>
    SubmitForm,
    /// <summary>/ImportData loads form data from a file.</summary>
    ImportData,
}

/// <summary>One piece of active content, located by the indirect object that holds it.</summary>
/// <param name="Kind">What was found.</param>
/// <param name="ObjectNumber">The indirect object containing it.</param>
/// <param name="Detail">Which key or action type matched (never document content).</param>
public sealed record PdfActiveContentFinding(PdfActiveContentKind Kind, int ObjectNumber, string Detail);

/// <summary>
/// Scans every object in the file, reachable or not (a hostile file may hide an action a viewer still finds),
/// looking at dictionary keys only: this works on encrypted files too, whose strings stay unreadable.
/// </summary>
internal static class ActiveContentScanner
{
    public static List<PdfActiveContentFinding> Scan(PdfObjectStore store, PdfDictionary catalog)
    {
        var found = new Dictionary<(PdfActiveContentKind, int), PdfActiveContentFinding>();
        void Add(PdfActiveContentKind kind, int number, string detail) => found.TryAdd((kind, number), new(kind, number, detail));

        var numbers = new List<int>(store.ObjectNumbers);
        numbers.Sort();
        foreach (var number in numbers)
        {
            var obj = store.GetObject(number);
            Walk(obj, number, 0, store.Options.MaxNestingDepth, Add);
        }

        // The catalog's /OpenAction: follow the action and its /Next chain looking for JavaScript.
        var rootNumber = store.Trailer.Get("Root") is PdfReference rr ? rr.ObjectNumber : 0;
        var open = catalog.Get("OpenAction");
        var holder = open is PdfReference or ? or.ObjectNumber : rootNumber;
        var action = store.Resolve(open);
        for (var hop = 0; hop < 16 && action is PdfDictionary a; hop++)
        {
            if (a.GetName("S") == "JavaScript" || a.ContainsKey("JS"))
            {
                Add(PdfActiveContentKind.OpenActionJavaScript, holder, $"catalog (object {rootNumber}) /OpenAction runs JavaScript");
                break;
            }
            var next = a.Get("Next");
            if (next is PdfArray arr && arr.Count > 0) next = arr[0];
            holder = next is PdfReference nr ? nr.ObjectNumber : holder;
            action = store.Resolve(next);
        }

        var list = new List<PdfActiveContentFinding>(found.Values);
        list.Sort((x, y) => x.ObjectNumber != y.ObjectNumber ? x.ObjectNumber.CompareTo(y.ObjectNumber) : x.Kind.CompareTo(y.Kind));
        return list;
    }

    private static void Walk(PdfObject obj, int number, int depth, int maxDepth, Action<PdfActiveContentKind, int, string> add)
    {
        if (depth > maxDepth) return;
        switch (obj)
        {
            case PdfStream s:
                Walk(s.Dictionary, number, depth + 1, maxDepth, add);
                break;
            case PdfArray a:
                foreach (var item in a.Items) Walk(item, number, depth + 1, maxDepth, add);
                break;
            case PdfDictionary d:
                Inspect(d, number, add);
                foreach (var value in d.Entries.Values) Walk(value, number, depth + 1, maxDepth, add);
                break;
        }
    }

    private static void Inspect(PdfDictionary d, int number, Action<PdfActiveContentKind, int, string> add)
    {
        switch (d.GetName("S"))
        {
            case "JavaScript": add(PdfActiveContentKind.JavaScript, number, "action /S /JavaScript"); break;
            case "Launch": add(PdfActiveContentKind.Launch, number, "action /S /Launch"); break;
            case "SubmitForm": add(PdfActiveContentKind.SubmitForm, number, "action /S /SubmitForm"); break;
            case "ImportData": add(PdfActiveContentKind.ImportData, number, "action /S /ImportData"); break;
            case "RichMediaExecute": add(PdfActiveContentKind.RichMedia, number, "action /S /RichMediaExecute"); break;
        }
        if (d.ContainsKey("JS")) add(PdfActiveContentKind.JavaScript, number, "/JS entry");
        if (d.ContainsKey("JavaScript")) add(PdfActiveContentKind.JavaScript, number, "/JavaScript name tree");
        if (d.ContainsKey("AA")) add(PdfActiveContentKind.AdditionalActions, number, "/AA additional actions");
        if (d.GetName("Type") == "EmbeddedFile") add(PdfActiveContentKind.EmbeddedFile, number, "/Type /EmbeddedFile stream");
        if (d.ContainsKey("EmbeddedFiles")) add(PdfActiveContentKind.EmbeddedFile, number, "/EmbeddedFiles name tree");
        if (d.ContainsKey("EF")) add(PdfActiveContentKind.EmbeddedFile, number, "file specification with /EF");
        if (d.GetName("Subtype") == "RichMedia" || d.ContainsKey("RichMediaContent"))
            add(PdfActiveContentKind.RichMedia, number, "/RichMedia");
    }
}
