using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Fhir;

/// <summary>
/// Collects entries of one transaction Bundle. Full URLs are <c>urn:uuid:</c> values derived from the original's
/// SHA-256 and a position key ("m0/obr1/obx3"), so mapping the same file twice yields the same Bundle.
/// Patients are deduplicated by identifier: a batch that reports on one patient twice creates one entry.
/// </summary>
internal sealed class TransactionBundleBuilder(string originalSha256)
{
    private readonly JsonArray _entries = [];
    private readonly Dictionary<string, string> _patients = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>The deterministic full URL for <paramref name="key"/>.</summary>
    public string FullUrl(string key) => "urn:uuid:" + DeterministicUuid(originalSha256, key);

    /// <summary>Adds a POST entry; <paramref name="ifNoneExist"/> makes it a conditional create.</summary>
    public void Add(string fullUrl, JsonObject resource, string? ifNoneExist = null)
    {
        string type = (string)resource["resourceType"]!;
        var request = new JsonObject { ["method"] = "POST", ["url"] = type };
        if (ifNoneExist is not null)
        {
            request["ifNoneExist"] = ifNoneExist;
        }

        _entries.Add(new JsonObject { ["fullUrl"] = fullUrl, ["resource"] = resource, ["request"] = request });
    }

    /// <summary>
    /// Adds the Patient as a conditional create on <paramref name="match"/> unless an entry for that identifier
    /// exists already; returns the full URL to reference either way.
    /// </summary>
    public string AddPatient(string key, JsonObject patient, PatientIdentifier match)
    {
        string search = "identifier=" + FhirSearch.Token(match.System, match.Value);
        if (_patients.TryGetValue(search, out string? existing))
        {
            return existing;
        }

        string fullUrl = FullUrl(key);
        _patients.Add(search, fullUrl);
        Add(fullUrl, patient, search);
        return fullUrl;
    }

    /// <summary>
    /// Adds the Patient as a conditional update on <paramref name="match"/> (<c>PUT Patient?identifier=…</c>): the
    /// matched Patient gets a new version with this content (its history kept), or is created when none matches. For
    /// ADT messages, which carry the sender's current demographics. Deduplicated like <see cref="AddPatient"/>.
    /// </summary>
    public string AddOrUpdatePatient(string key, JsonObject patient, PatientIdentifier match)
    {
        string search = "identifier=" + FhirSearch.Token(match.System, match.Value);
        if (_patients.TryGetValue(search, out string? existing))
        {
            return existing;
        }

        string fullUrl = FullUrl(key);
        _patients.Add(search, fullUrl);
        AddConditionalUpdate(fullUrl, patient, search);
        return fullUrl;
    }

    /// <summary>Adds <c>PUT [type]?[search]</c>: update the one match, or create when there is none.</summary>
    public void AddConditionalUpdate(string fullUrl, JsonObject resource, string search)
    {
        string type = (string)resource["resourceType"]!;
        _entries.Add(new JsonObject
        {
            ["fullUrl"] = fullUrl,
            ["resource"] = resource,
            ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = type + "?" + search },
        });
    }

    public JsonObject Build() => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = "transaction",
        ["entry"] = _entries,
    };

    /// <summary>
    /// A name-based uuid (RFC 9562 version 8, custom): the first 16 bytes of SHA-256(sha + "/" + key) with the
    /// version and variant bits set.
    /// </summary>
    internal static string DeterministicUuid(string originalSha256, string key)
    {
        int length = Encoding.UTF8.GetByteCount(originalSha256) + 1 + Encoding.UTF8.GetByteCount(key);
        Span<byte> input = length <= 512 ? stackalloc byte[length] : new byte[length];
        int written = Encoding.UTF8.GetBytes(originalSha256, input);
        input[written++] = (byte)'/';
        Encoding.UTF8.GetBytes(key, input[written..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true).ToString("D");
    }
}

/// <summary>A system-qualified identifier a Patient is matched on.</summary>
internal sealed record PatientIdentifier(string System, string Value);
