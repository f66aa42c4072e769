using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Carevault.Storage.Blobs;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Records.Export;

/// <summary>
/// Writes one claimed export: for each type, pages of resources (<see cref="ExportQuery"/>) streamed as NDJSON lines
/// through a pipe into <see cref="EncryptedBlobStore"/>, so no more than a page and the pipe's buffer are in memory;
/// a new file every <see cref="ExportOptions.MaxLinesPerFile"/> lines. The lease is renewed after every page. A
/// run that loses its lease stops; when the export was cancelled it deletes what it wrote. Rerunning an export writes
/// the same files under the same keys (the snapshot is the kick-off's transaction time), so a takeover simply redoes it.
/// </summary>
internal sealed class ExportRunner(Db db, ExportJobStore jobs, EncryptedBlobStore blobs, ExportOptions options, TimeProvider clock)
{
    static readonly byte[] NewLine = "\n"u8.ToArray();

    public static string BlobKey(ExportJob job, string name) => $"fhir-export/{job.TenantId}/{job.Id}/{name}";

    /// <summary>Why a run stopped before the end: its lease is gone.</summary>
    sealed class LeaseLostException : Exception;

    public async Task RunAsync(ExportJob job, string owner, CancellationToken ct)
    {
        var files = new List<ExportFile>();
        try
        {
            var types = job.TypeList;
            for (var t = 0; t < types.Count; t++)
                await ExportTypeAsync(job, owner, types[t], $"{types[t]} ({(t + 1).ToString(CultureInfo.InvariantCulture)} of {types.Count.ToString(CultureInfo.InvariantCulture)} types)", files, ct);
        }
        catch (LeaseLostException)
        {
            await AbandonAsync(job, files);
            return;
        }
        catch (Exception)
        {
            // A failed run leaves no partial files behind (a retry writes them all again).
            foreach (var file in files) await blobs.DeleteAsync(BlobKey(job, file.Name), CancellationToken.None);
            throw;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var output = JsonSerializer.Serialize(files, ExportJson.Default.ListExportFile);
        if (!await jobs.CompleteAsync(job.Id, owner, output, now, now + (long)options.Expiry.TotalMilliseconds, ct)) await AbandonAsync(job, files);
    }

    /// <summary>A run that lost its lease: a cancelled export's files go; a taken-over one's stay for the new owner, who rewrites them.</summary>
    async Task AbandonAsync(ExportJob job, List<ExportFile> files)
    {
        if (await jobs.StatusAsync(job.Id, CancellationToken.None) != ExportJob.Cancelled) return;
        foreach (var file in files) await blobs.DeleteAsync(BlobKey(job, file.Name), CancellationToken.None);
    }

    async Task ExportTypeAsync(ExportJob job, string owner, string type, string progress, List<ExportFile> files, CancellationToken ct)
    {
        string? after = null;
        var part = 0;
        var page = await NextPageAsync(job, type, after, Math.Min(options.PageSize, options.MaxLinesPerFile), ct);
        while (page.Count > 0)
        {
            part++;
            var name = $"{type}-{part.ToString(CultureInfo.InvariantCulture)}.ndjson";
            // Listed before it is written, so a cancelled run also removes a file it was in the middle of.
            var file = new ExportFile(type, name, 0);
            files.Add(file);
            var pipe = new Pipe();
            var write = blobs.WriteAsync(BlobKey(job, name), pipe.Reader.AsStream(), ct);
            long lines = 0;
            try
            {
                while (page.Count > 0)
                {
                    foreach (var row in page)
                    {
                        // Stored bodies are compact JSON: one line each (NDJSON, Bulk Data IG export.html#file-format).
                        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(row.Body), ct);
                        await pipe.Writer.WriteAsync(NewLine, ct);
                    }
                    lines += page.Count;
                    after = page[^1].Id;
                    if (!await jobs.RenewAsync(job.Id, owner, progress, clock.GetUtcNow().ToUnixTimeMilliseconds(), options.Lease, ct)) throw new LeaseLostException();
                    var room = options.MaxLinesPerFile - lines;
                    page = room == 0 ? [] : await NextPageAsync(job, type, after, (int)Math.Min(options.PageSize, room), ct);
                }
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                // The write then fails with the producer's error, which is the one to report; nothing stays under the key.
                await Task.WhenAny(write);
                _ = write.Exception;
                throw;
            }
            await write;
            files[^1] = file with { Count = lines };
            if (lines == options.MaxLinesPerFile) page = await NextPageAsync(job, type, after, Math.Min(options.PageSize, options.MaxLinesPerFile), ct);
        }
    }

    async Task<List<ExportQuery.Row>> NextPageAsync(ExportJob job, string type, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<ExportQuery.Row>(ExportQuery.Page(job, type, after, limit, ct))).AsList();
    }
}
