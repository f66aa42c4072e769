using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Carevault.Records.Store;

/// <summary>One item of a bulk load: its line number (NDJSON) or entry number (Bundle), 1-based, and its bytes.</summary>
/// <param name="Error">Why the item cannot be loaded before it is even parsed (a line over the limit, a Bundle entry
/// without a resource): it is reported, not loaded.</param>
public sealed record BulkItem(long Number, ReadOnlyMemory<byte> Body, RecordError? Error = null);

/// <summary>
/// Streams newline-delimited JSON (FHIR Bulk Data IG: one resource per line, <c>\n</c> or <c>\r\n</c>) as
/// <see cref="BulkItem"/>s without holding more than one line at a time. Blank lines are skipped but counted, so line
/// numbers match the file; a line longer than the limit is skipped to its end and yielded as <c>TooLong</c>.
/// </summary>
public static class NdjsonReader
{
    public static async IAsyncEnumerable<BulkItem> ReadAsync(Stream input, int maxLineBytes, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        long line = 0;
        var skipping = false; // inside a line that is too long: drop bytes until its newline
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct);
                var buffer = read.Buffer;
                while (TryTakeLine(ref buffer, out var slice))
                {
                    line++;
                    if (skipping)
                    {
                        skipping = false;
                        yield return TooLong(line, maxLineBytes);
                        continue;
                    }
                    if (slice.Length > maxLineBytes)
                    {
                        yield return TooLong(line, maxLineBytes);
                        continue;
                    }
                    if (Trim(slice) is { Length: > 0 } body) yield return new BulkItem(line, body);
                }
                if (!skipping && buffer.Length > maxLineBytes)
                {
                    // No newline within the limit: drop what is buffered and the rest of the line.
                    skipping = true;
                    buffer = buffer.Slice(buffer.End);
                }
                else if (skipping) buffer = buffer.Slice(buffer.End);
                if (read.IsCompleted)
                {
                    if (skipping) yield return TooLong(line + 1, maxLineBytes);
                    else if (buffer.Length > 0 && Trim(buffer) is { Length: > 0 } last) yield return new BulkItem(line + 1, last);
                    reader.AdvanceTo(buffer.End);
                    yield break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    static BulkItem TooLong(long line, int maxLineBytes) =>
        new(line, ReadOnlyMemory<byte>.Empty, new RecordError(RecordErrorKind.TooLarge, "too-costly", $"The line is longer than {maxLineBytes} bytes."));

    static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } newline)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline);
        buffer = buffer.Slice(buffer.GetPosition(1, newline));
        return true;
    }

    /// <summary>The line without its <c>\r</c> and surrounding blanks, copied (it outlives the pipe's buffer).</summary>
    static byte[] Trim(ReadOnlySequence<byte> slice)
    {
        var bytes = slice.ToArray();
        var start = 0;
        var end = bytes.Length;
        while (start < end && bytes[start] is (byte)' ' or (byte)'\t' or (byte)'\r') start++;
        while (end > start && bytes[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r') end--;
        return start == 0 && end == bytes.Length ? bytes : bytes[start..end];
    }
}
