using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Fhir;

/// <summary>Attachment helpers: size and hash as FHIR R4 defines them (Attachment.hash is the base64 SHA-1).</summary>
internal static class Attachments
{
    public static JsonObject Inline(string contentType, ReadOnlySpan<byte> data, string? title = null)
    {
        var attachment = new JsonObject
        {
            ["contentType"] = contentType,
            ["data"] = Convert.ToBase64String(data),
            ["size"] = data.Length,
            ["hash"] = Sha1(data),
        };
        if (title is not null)
        {
            attachment["title"] = title;
        }

        return attachment;
    }

    public static string Sha1(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // FHIR R4 Attachment.hash is defined as SHA-1; it identifies, it does not protect.
        SHA1.HashData(data, hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }
}
