using System.Globalization;

namespace Carevault.Records.Store;

/// <summary>One version of a resource as stored: the body already carries id and meta.versionId/lastUpdated.</summary>
public sealed record StoredResource(string ResourceType, string Id, long VersionId, long LastUpdated, bool Deleted, string Body)
{
    /// <summary>The weak ETag of this version (FHIR R4 http.html#versioning).</summary>
    public string ETag => "W/\"" + VersionId.ToString(CultureInfo.InvariantCulture) + "\"";

    public DateTimeOffset LastUpdatedTime => DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated);
}

/// <summary>One entry of a history listing.</summary>
public sealed record HistoryEntry(long Seq, StoredResource Resource);
