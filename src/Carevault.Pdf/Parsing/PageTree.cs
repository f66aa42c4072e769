namespace Carevault.Pdf.Parsing;

/// <summary>Walks /Pages → /Kids (ISO 32000-1 §7.7.3), guarding against cycles, depth and page-count limits.</summary>
internal static class PageTree
{
    public static List<PageNode> Collect(PdfObjectStore store, PdfDictionary catalog)
    {
        var pages = new List<PageNode>();
        var visited = new HashSet<int>();
        var root = catalog.Get("Pages");
        Walk(store, root, null, 0, pages, visited);
        return pages;
    }

    private static void Walk(PdfObjectStore store, PdfObject? node, PdfObject? inheritedResources, int depth, List<PageNode> pages, HashSet<int> visited)
    {
        var number = 0;
        if (node is PdfReference r)
        {
            number = r.ObjectNumber;
            if (!visited.Add(number)) return; // cycle or shared node
        }
        if (store.Resolve(node) is not PdfDictionary dict) return;
        if (depth > store.Options.MaxNestingDepth)
            PdfFormatException.Limit("limit-nesting", $"page tree deeper than {store.Options.MaxNestingDepth} levels");
        var resources = dict.Get("Resources") ?? inheritedResources;
        var kids = store.Resolve(dict.Get("Kids")) as PdfArray;
        var type = dict.GetName("Type");
        if (type == "Page" || (kids is null && type != "Pages"))
        {
            if (type != "Page" && !dict.ContainsKey("Contents") && !dict.ContainsKey("MediaBox")) return;
            if (pages.Count >= store.Options.MaxPages)
                PdfFormatException.Limit("limit-pages", $"more than {store.Options.MaxPages} pages");
            pages.Add(new PageNode(number, dict, resources));
            return;
        }
        if (kids is null) return;
        foreach (var kid in kids.Items) Walk(store, kid, resources, depth + 1, pages, visited);
    }
}
