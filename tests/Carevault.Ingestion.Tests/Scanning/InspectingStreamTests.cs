using System.Text;
using Carevault.Ingestion.Intake;
using Carevault.Ingestion.Scanning;

namespace Carevault.Ingestion.Tests.Scanning;

public sealed class InspectingStreamTests
{
    static readonly byte[] Eicar = Encoding.ASCII.GetBytes("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    static readonly byte[] Hl7 = Encoding.ASCII.GetBytes("MSH|^~\\&|LAB|X|Y|Z|20261121||ORU^R01|1|P|2.5.1\r");

    /// <summary>Hands out at most <paramref name="chunk"/> bytes per read, like a slow network.</summary>
    sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    static async Task<long> DrainAsync(Stream stream)
    {
        var buffer = new byte[4096];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0) total += n;
        return total;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(66)]
    [InlineData(67)]
    [InlineData(68)]
    [InlineData(4096)]
    public async Task Read_EicarAcrossReadBoundaries_IsFound(int chunk)
    {
        byte[] data = [.. Hl7, .. new byte[1000 + chunk], .. Eicar, .. "\r"u8.ToArray()];
        var stream = new InspectingStream(new Trickle(data, chunk), ReportFormat.Hl7v2, long.MaxValue, null);

        var error = await Assert.ThrowsAsync<ContentRejectedException>(() => DrainAsync(stream));

        Assert.Equal(IntakeErrorKind.Malware, error.Error.Kind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(67)]
    [InlineData(4096)]
    public async Task Read_CleanContent_PassesEveryByte(int chunk)
    {
        // Almost EICAR: all but the last character, split across reads.
        byte[] data = [.. Hl7, .. Eicar[..^1], .. "\r"u8.ToArray(), .. Eicar[1..]];
        var stream = new InspectingStream(new Trickle(data, chunk), ReportFormat.Hl7v2, long.MaxValue, null);

        Assert.Equal(data.Length, await DrainAsync(stream));
        Assert.Equal(data.Length, stream.BytesRead);
    }

    [Fact]
    public async Task Read_BeyondTheLimit_IsRefusedAsTooLarge()
    {
        var stream = new InspectingStream(new Trickle([.. Hl7, .. new byte[100]], 10), ReportFormat.Hl7v2, Hl7.Length + 99, null);

        var error = await Assert.ThrowsAsync<ContentRejectedException>(() => DrainAsync(stream));

        Assert.Equal(IntakeErrorKind.TooLarge, error.Error.Kind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task Read_WrongMagic_IsRefusedBeforeTheEnd(int chunk)
    {
        var stream = new InspectingStream(new Trickle([.. "%PDF-1.4\n"u8.ToArray(), .. new byte[10_000]], chunk), ReportFormat.Hl7v2, long.MaxValue, null);

        var error = await Assert.ThrowsAsync<ContentRejectedException>(() => DrainAsync(stream));

        Assert.Equal(IntakeErrorKind.ContentMismatch, error.Error.Kind);
        Assert.True(stream.BytesRead <= 4096 + 132);
    }

    [Fact]
    public async Task Read_FileShorterThanTheHeader_IsSniffedAtTheEnd()
    {
        var ok = new InspectingStream(new MemoryStream("{}"u8.ToArray()), ReportFormat.Fhir, long.MaxValue, null);
        var bad = new InspectingStream(new MemoryStream("[]"u8.ToArray()), ReportFormat.Fhir, long.MaxValue, null);

        Assert.Equal(2, await DrainAsync(ok));
        await Assert.ThrowsAsync<ContentRejectedException>(() => DrainAsync(bad));
    }
}
