using Carevault.Fhir.Spec;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Search;
using Carevault.Records.Store;

namespace Carevault.Records.Http.Operations;

/// <summary>The parts of a search result beyond the matches: _include/_revinclude, _sort and _elements in links, _elements projection.</summary>
internal static class SearchExtras
{
    /// <summary>
    /// Included resources of a type the caller may not read are left out (not an error: the matches stand). Only types
    /// readable whatever the resource are included: a type readable only per resource (a patient's own compartment) would
    /// need each included resource checked, so it is left out.
    /// </summary>
    public static Func<string, bool> MayRead(FhirAccess access, CallerContext caller) =>
        type => access.Decide(caller, type, ClinicalAction.Read).Value is { PerTarget: false };

    /// <summary>The result parameters for self and next links, as the parser understood them.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Echo(SearchQuery query)
    {
        foreach (var include in query.Includes)
            yield return new((include.Reverse ? "_revinclude" : "_include") + (include.Iterate ? ":iterate" : ""),
                $"{include.SourceType}:{include.Param}" + (include.TargetType is null ? "" : ":" + include.TargetType));
        if (query.Sort.Count > 0) yield return new("_sort", string.Join(',', query.Sort.Select(k => (k.Descending ? "-" : "") + k.Code)));
        if (query.Elements is { } elements) yield return new("_elements", string.Join(',', elements));
        if (query.Summary is { } summary) yield return new("_summary", summary.ToString().ToLowerInvariant());
    }

    public static Func<StoredResource, string>? Projection(SearchQuery query, FhirSpec spec) =>
        query.Elements is { } elements ? r => ResourceSubset.Apply(r.Body, r.ResourceType, elements, spec)
        : query.Summary is { } summary ? r => ResourceSubset.Summary(r.Body, r.ResourceType, summary, spec)
        : null;
}
