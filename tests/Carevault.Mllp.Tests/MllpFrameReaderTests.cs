using System.Text;

namespace Carevault.Mllp.Tests;

public class MllpFrameReaderTests
{
    private static readonly byte[] First = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1\r");
    private static readonly byte[] Second = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|2|P|2.5.1\r");

    private static async Task<List<MllpReadResult>> ReadAll(Stream stream, int max = 1024)
    {
        using var reader = new MllpFrameReader(stream, max, initialBufferBytes: 16);
        var results = new List<MllpReadResult>();
        while (true)
        {
            MllpReadResult result = await reader.ReadAsync(CancellationToken.None);
            // Copy: a message is valid only until the next read.
            results.Add(result with { Message = result.Message.ToArray() });
            if (result.Status != MllpReadStatus.Message)
            {
                return results;
            }
        }
    }

    [Fact]
    public async Task ReadAsync_SeveralFramesInOneRead_YieldsEachMessage()
    {
        byte[] bytes = [.. MllpFraming.Frame(First), .. MllpFraming.Frame(Second)];

        List<MllpReadResult> results = await ReadAll(new MemoryStream(bytes));

        Assert.Equal(3, results.Count);
        Assert.Equal(First, results[0].Message.ToArray());
        Assert.Equal(Second, results[1].Message.ToArray());
        Assert.Equal(MllpReadStatus.EndOfStream, results[2].Status);
        Assert.All(results, r => Assert.Equal(0, r.SkippedBytes));
    }

    [Fact]
    public async Task ReadAsync_FramesSplitByteByByte_YieldsEachMessage()
    {
        byte[] bytes = [.. MllpFraming.Frame(First), .. MllpFraming.Frame(Second)];

        List<MllpReadResult> results = await ReadAll(new TrickleStream(bytes, chunk: 1));

        Assert.Equal(First, results[0].Message.ToArray());
        Assert.Equal(Second, results[1].Message.ToArray());
        Assert.Equal(MllpReadStatus.EndOfStream, results[2].Status);
    }

    [Fact]
    public async Task ReadAsync_EndBlockSplitFromCarriageReturn_WaitsForTheCr()
    {
        byte[] frame = MllpFraming.Frame(First);

        List<MllpReadResult> results = await ReadAll(new TrickleStream(frame, chunks: [frame.Length - 1, 1]));

        Assert.Equal(First, results[0].Message.ToArray());
    }

    [Fact]
    public async Task ReadAsync_GarbageBeforeStartBlock_IsSkippedAndCounted()
    {
        byte[] bytes = [.. "noise\r\n"u8, .. MllpFraming.Frame(First), .. "x"u8, .. MllpFraming.Frame(Second)];

        List<MllpReadResult> results = await ReadAll(new TrickleStream(bytes, chunk: 5));

        Assert.Equal(First, results[0].Message.ToArray());
        Assert.Equal(7, results[0].SkippedBytes);
        Assert.Equal(Second, results[1].Message.ToArray());
        Assert.Equal(1, results[1].SkippedBytes);
    }

    [Fact]
    public async Task ReadAsync_StartBlockInsideUnfinishedFrame_RestartsTheFrame()
    {
        byte[] bytes = [MllpFraming.StartBlock, .. "partial"u8, .. MllpFraming.Frame(First)];

        List<MllpReadResult> results = await ReadAll(new MemoryStream(bytes));

        Assert.Equal(First, results[0].Message.ToArray());
        Assert.Equal(8, results[0].SkippedBytes);
    }

    [Fact]
    public async Task ReadAsync_EndBlockWithoutCarriageReturn_IsContent()
    {
        byte[] content = [.. "MSH|a"u8, MllpFraming.EndBlock, .. "b"u8];

        List<MllpReadResult> results = await ReadAll(new MemoryStream(MllpFraming.Frame(content)));

        Assert.Equal(content, results[0].Message.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task ReadAsync_FrameBeyondLimit_ReportsTooLarge(int chunk)
    {
        byte[] big = new byte[2000];
        Array.Fill(big, (byte)'A');

        List<MllpReadResult> results = await ReadAll(new TrickleStream(MllpFraming.Frame(big), chunk), max: 1000);

        Assert.Equal(MllpReadStatus.TooLarge, Assert.Single(results).Status);
    }

    [Fact]
    public async Task ReadAsync_FrameExactlyAtLimit_IsAccepted()
    {
        byte[] exact = new byte[1000];
        Array.Fill(exact, (byte)'B');

        List<MllpReadResult> results = await ReadAll(new TrickleStream(MllpFraming.Frame(exact), chunk: 7), max: 1000);

        Assert.Equal(exact, results[0].Message.ToArray());
    }

    [Fact]
    public async Task ReadAsync_StreamEndsMidFrame_ReportsEndOfStreamAndDropsThePartialFrame()
    {
        byte[] bytes = [.. MllpFraming.Frame(First), MllpFraming.StartBlock, .. "MSH|partial"u8];

        List<MllpReadResult> results = await ReadAll(new MemoryStream(bytes));

        Assert.Equal(First, results[0].Message.ToArray());
        Assert.Equal(MllpReadStatus.EndOfStream, results[1].Status);
        Assert.Equal(12, results[1].SkippedBytes);
    }

    /// <summary>Hands out the bytes in small reads, as a slow network does.</summary>
    internal sealed class TrickleStream(byte[] data, int chunk = 1, int[]? chunks = null) : Stream
    {
        private int _position;
        private int _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int size = chunks is not null && _read < chunks.Length ? chunks[_read] : chunk;
            _read++;
            int n = Math.Min(Math.Min(size, count), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
