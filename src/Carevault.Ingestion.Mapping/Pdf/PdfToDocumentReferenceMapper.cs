using System.Text;
using System.Text.Json.Nodes;
using Carevault.Ingestion.Mapping.Fhir;
using Carevault.Pdf;

namespace Carevault.Ingestion.Mapping.Pdf;

/// <summary>
/// A PDF report → Patient (from the upload's identifier: a PDF has no structured patient) and a DocumentReference
/// whose first attachment points at the stored original and whose second carries the extracted text (bounded) so
/// the document can be searched. An encrypted PDF is mapped without text.
/// </summary>
internal static class PdfToDocumentReferenceMapper
{
    /// <summary>Extracted text kept inline, in UTF-8 bytes (the original stays downloadable for the rest).</summary>
    public const int MaxTextBytes = 256 * 1024;

    public static MappingResult Map(MappingInput input)
    {
        PdfResult<PdfDocument> opened = PdfReader.Open(input.Content);
        if (!opened.IsSuccess)
        {
            return MappingResult.Failure(ToMappingError(opened.Error!));
        }

        if (Hl7v2.Hl7PatientMapper.FromUpload(input) is not { } match)
        {
            return MappingResult.Failure("pdf.missing-patient-identifier",
                "A PDF carries no structured patient identifier and the upload names none (system and value).");
        }

        PdfDocument pdf = opened.Value!;
        var bundle = new TransactionBundleBuilder(input.OriginalSha256);
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = match.System, ["value"] = match.Value }),
        };
        string patientUrl = bundle.AddPatient("patient", patient, match);
        string? title = FhirValues.Text(pdf.Metadata.Title?.Trim());
        var document = new JsonObject
        {
            ["resourceType"] = "DocumentReference",
            ["status"] = "current",
        };
        if (FhirValues.Text(input.ReportType?.Trim()) is { } reportType)
        {
            document["type"] = new JsonObject { ["text"] = reportType };
        }

        document["subject"] = FhirValues.Reference(patientUrl);
        if ((input.ReportDate ?? pdf.Metadata.CreationDate) is { } date)
        {
            document["date"] = FhirValues.Instant(date);
        }

        if (title is not null)
        {
            document["description"] = title;
        }

        var original = new JsonObject
        {
            ["contentType"] = "application/pdf",
            ["url"] = input.OriginalUrl,
            ["size"] = input.Content.Length,
            ["hash"] = Attachments.Sha1(input.Content.Span),
        };
        if (title is not null)
        {
            original["title"] = title;
        }

        if (pdf.Metadata.CreationDate is { } created)
        {
            original["creation"] = FhirValues.DateTime(created);
        }

        var content = new JsonArray(new JsonObject { ["attachment"] = original });
        if (!pdf.IsEncrypted && pdf.ExtractText() is { IsSuccess: true, Value: { HasTextLayer: true } text }
            && Bounded(text.FullText) is { Length: > 0 } utf8)
        {
            content.Add(new JsonObject { ["attachment"] = Attachments.Inline("text/plain; charset=utf-8", utf8, "Extracted text") });
        }

        document["content"] = content;
        bundle.Add(bundle.FullUrl("documentreference"), document);
        return MappingResult.Success(bundle.Build());
    }

    /// <summary>The text as UTF-8, cut at <see cref="MaxTextBytes"/> on a character boundary.</summary>
    private static byte[] Bounded(string text)
    {
        string trimmed = text.Trim();
        if (Encoding.UTF8.GetMaxByteCount(trimmed.Length) <= MaxTextBytes || Encoding.UTF8.GetByteCount(trimmed) <= MaxTextBytes)
        {
            return Encoding.UTF8.GetBytes(trimmed);
        }

        var buffer = new byte[MaxTextBytes];
        Encoding.UTF8.GetEncoder().Convert(trimmed, buffer, flush: true, out _, out int bytesUsed, out _);
        return buffer.AsSpan(0, bytesUsed).ToArray();
    }

    private static MappingError ToMappingError(PdfError error) => error.Kind switch
    {
        PdfErrorKind.NotPdf => new("pdf.not-pdf", "The file is not a PDF: " + error.Message),
        PdfErrorKind.TooLarge => new("pdf.too-large", "The PDF exceeds a reader limit (" + error.Code + "): " + error.Message),
        PdfErrorKind.Encrypted => new("pdf.encrypted", "The PDF is encrypted: " + error.Message),
        _ => new("pdf.damaged", "The PDF is damaged beyond repair: " + error.Message),
    };
}
