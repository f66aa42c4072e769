namespace Carevault.Ingestion.Scanning;

/// <summary>
/// The EICAR anti-virus test string (https://www.eicar.org/download-anti-malware-testfile/): every scanner reports
/// it, so a deployment can check its scanning end to end. Refused wherever it appears in an upload.
/// </summary>
internal static class Eicar
{
    // Kept in two halves so that this assembly itself does not trip a scanner.
    static readonly byte[] Signature = [.. "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"u8, .. "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"u8];

    public static int Length => Signature.Length;

    public static bool Contains(ReadOnlySpan<byte> data) => data.IndexOf(Signature) >= 0;
}
