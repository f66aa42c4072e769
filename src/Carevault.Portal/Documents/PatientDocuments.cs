using System.Globalization;
using System.Text.Json;
using Carevault.Identity.Authorization;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Jobs;
using Carevault.Portal.Records;
using Carevault.Records.Store;

namespace Carevault.Portal.Documents;

/// <summary>One document or imaging study of the patient's, as My documents lists it.</summary>
/// <param name="Key">What the download form posts (the ingestion job whose original this is); never put in a URL.</param>
/// <param name="Kind"><c>Document</c> or <c>Imaging study</c>.</param>
public sealed record PatientDocument(string Key, string Title, string Kind, string? Type, DateTimeOffset? When, string Format, long Size);

/// <summary>The patient's documents; <see cref="Linked"/> is false while the account has no Patient.</summary>
public sealed record MyDocuments(bool Linked, string? PatientId, IReadOnlyList<PatientDocument> Documents)
{
    public static readonly MyDocuments NotLinked = new(false, null, []);
}

/// <summary>
/// A patient's DocumentReferences and ImagingStudies that came in through ingestion (PDFs, DICOM files, HL7 MDM), with
/// their originals. The list starts from the ingestion jobs whose resources belong to the caller's own Patient
/// (<see cref="JobStore"/>, <c>patient_ref</c>), then reads each resource through <see cref="ResourceStore"/> and keeps it
/// only when <see cref="AccessPolicy.Clinical"/> allows the read and the resource's own subject is that Patient. The
/// download applies the same checks to the job it is given, so a patient can fetch no other patient's original,
/// whatever they post.
/// </summary>
public sealed class PatientDocuments(ResourceStore store, JobStore jobs)
{
    /// <summary>How many of the patient's reports are looked at (newest first).</summary>
    public const int MaxJobs = 200;

    static readonly Ownership OwnCompartment = new() { InCallersCompartment = true };

    public async Task<MyDocuments> ListAsync(CallerContext caller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (PatientOf(caller) is not { } patientId) return MyDocuments.NotLinked;
        var found = await jobs.ListAsync(caller.TenantId, new JobFilter { Status = JobStatus.Completed, PatientRefs = ["Patient/" + patientId], Limit = MaxJobs }, ct);
        var documents = new List<PatientDocument>();
        foreach (var job in found)
        {
            if (await FirstOwnAsync(caller, patientId, job, ct) is { } entry) documents.Add(entry);
        }
        return new MyDocuments(true, patientId, documents.OrderByDescending(d => d.When ?? DateTimeOffset.MinValue).ToList());
    }

    /// <summary>
    /// The job behind <paramref name="key"/> when its original is the caller's to download: a completed, unquarantined job
    /// of the caller's tenant whose document or imaging study is in the caller's own compartment. Null otherwise (the
    /// caller learns nothing about other patients' documents: unknown and not yours answer alike).
    /// </summary>
    public async Task<(IngestionJob Job, PatientDocument Document)?> FindOriginalAsync(CallerContext caller, string? key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (PatientOf(caller) is not { } patientId || key is not { Length: > 0 and <= 100 }) return null;
        var job = await jobs.GetAsync(caller.TenantId, key, ct);
        if (job is not { Status: JobStatus.Completed, Quarantined: 0 } || job.PatientRef != "Patient/" + patientId) return null;
        return await FirstOwnAsync(caller, patientId, job, ct) is { } document ? (job, document) : null;
    }

    static string? PatientOf(CallerContext caller) => caller is { Kind: "user", Role: Roles.Patient, PatientId: { } id } ? id : null;

    /// <summary>The job's first DocumentReference or ImagingStudy that the caller may read and whose subject is their Patient.</summary>
    async Task<PatientDocument?> FirstOwnAsync(CallerContext caller, string patientId, IngestionJob job, CancellationToken ct)
    {
        foreach (var reference in job.ResourceList)
        {
            var slash = reference.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0) continue;
            var type = reference[..slash];
            if (type is not ("DocumentReference" or "ImagingStudy")) continue;
            if (AccessPolicy.Clinical(caller, caller.TenantId, type, ClinicalAction.Read, OwnCompartment) != Access.Allowed) continue;
            var read = await store.ReadAsync(caller.TenantId, type, reference[(slash + 1)..], ct);
            if (read.Value is not { } resource) continue;
            using var body = JsonDocument.Parse(resource.Body);
            var root = body.RootElement;
            if (!root.TryGetProperty("subject", out var subject) || FhirValues.Text(subject, "reference") != "Patient/" + patientId) continue;
            return type == "ImagingStudy" ? Imaging(job, root) : Document(job, root);
        }
        return null;
    }

    static PatientDocument Document(IngestionJob job, JsonElement d)
    {
        var type = Concept(d, "type") ?? job.ReportType;
        string? attachmentTitle = null;
        if (d.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0
            && content[0].TryGetProperty("attachment", out var attachment))
            attachmentTitle = FhirValues.Text(attachment, "title");
        var title = FhirValues.Text(d, "description") ?? attachmentTitle ?? type ?? "Document";
        return new PatientDocument(job.Id, title, "Document", type, FhirValues.Time(d, "date") ?? Reported(job), FormatName(job.Format), job.SizeBytes);
    }

    static PatientDocument Imaging(IngestionJob job, JsonElement s)
    {
        string? modality = null;
        if (s.TryGetProperty("modality", out var modalities) && modalities.ValueKind == JsonValueKind.Array && modalities.GetArrayLength() > 0)
            modality = FhirValues.Text(modalities[0], "display") ?? FhirValues.Text(modalities[0], "code");
        var title = FhirValues.Text(s, "description") ?? (modality is null ? "Imaging study" : $"{modality} study");
        return new PatientDocument(job.Id, title, "Imaging study", modality, FhirValues.Time(s, "started") ?? Reported(job), FormatName(job.Format), job.SizeBytes);
    }

    static DateTimeOffset? Reported(IngestionJob job) =>
        job.ReportDate is { } date && DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            ? when
            : DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt);

    static string? Concept(JsonElement resource, string property)
    {
        if (!resource.TryGetProperty(property, out var concept) || concept.ValueKind != JsonValueKind.Object) return null;
        if (FhirValues.Text(concept, "text") is { } text) return text;
        if (concept.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
            foreach (var coding in codings.EnumerateArray())
                if ((FhirValues.Text(coding, "display") ?? FhirValues.Text(coding, "code")) is { } shown) return shown;
        return null;
    }

    static string FormatName(string format) => format switch
    {
        "pdf" => "PDF",
        "dicom" => "DICOM",
        "hl7v2" => "HL7 v2 message",
        _ => "FHIR JSON",
    };
}
