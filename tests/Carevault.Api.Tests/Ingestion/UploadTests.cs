using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>POST /api/reports: accepted uploads become jobs; refused ones leave neither a job nor a blob.</summary>
public sealed class UploadTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    static int OriginalCount(IngestionApp app) => Directory.Exists(app.OriginalsDirectory) ? Directory.GetFiles(app.OriginalsDirectory, "*", SearchOption.AllDirectories).Length : 0;

    static async Task<int> JobCountAsync(HttpClient http)
    {
        var page = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs?limit=200", UriKind.Relative))).RootElement;
        return page.GetProperty("items").GetArrayLength();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_FhirTransaction_Answers202AndTheJobCompletesWithResourcesAndProvenance(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, clientId, http) = await app.NewHospitalAsync();
        var content = IngestionApp.Utf8(Reports.PatientAndObservation("MRN-1"));

        var response = await IngestionApp.UploadAsync(http, content, "application/fhir+json");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var jobId = accepted.GetProperty("jobId").GetString()!;
        Assert.Equal($"/api/jobs/{jobId}", response.Headers.Location?.OriginalString);
        Assert.Contains(accepted.GetProperty("status").GetString(), new[] { "pending", "in-progress", "completed" });
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), accepted.GetProperty("sha256").GetString());
        Assert.Equal(content.Length, accepted.GetProperty("size").GetInt64());
        Assert.Equal(clientId, accepted.GetProperty("submitter").GetString());

        var job = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("problem").ValueKind);
        var resources = job.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(["Patient", "Observation", "Provenance"], resources.Select(r => r.Split('/')[0]));
        Assert.Equal(resources[0], job.GetProperty("patient").GetString());

        var observation = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + resources[1], UriKind.Relative))).RootElement;
        Assert.Equal(resources[0], observation.GetProperty("subject").GetProperty("reference").GetString());
        var provenance = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + resources[2], UriKind.Relative))).RootElement;
        Assert.Equal(resources[..2], provenance.GetProperty("target").EnumerateArray().Select(t => t.GetProperty("reference").GetString()));
        var who = provenance.GetProperty("agent")[0].GetProperty("who").GetProperty("identifier");
        Assert.Equal("urn:carevault:client-id", who.GetProperty("system").GetString());
        Assert.Equal(clientId, who.GetProperty("value").GetString());
        var entities = provenance.GetProperty("entity").EnumerateArray().Select(e => e.GetProperty("what").GetProperty("identifier").GetProperty("value").GetString()).ToList();
        Assert.StartsWith("ni:///sha-256;", entities[0], StringComparison.Ordinal);
        Assert.Equal(jobId, entities[1]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_SingleResource_IsCreated(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);

        var jobId = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8("""{"resourceType":"Patient","id":"ignored","name":[{"family":"Okafor"}]}"""), "application/fhir+json; charset=utf-8");

        var job = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        var patient = job.GetProperty("resources")[0].GetString()!;
        Assert.StartsWith("Patient/", patient, StringComparison.Ordinal);
        Assert.NotEqual("Patient/ignored", patient);
        var stored = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + patient, UriKind.Relative))).RootElement;
        Assert.Equal("Okafor", stored.GetProperty("name")[0].GetProperty("family").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_Multipart_KeepsTheMetadataAndTheFilesType(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("http://hospital.example/mrn|MRN-77"), "patientIdentifier" },
            { new StringContent("lab"), "reportType" },
            { new StringContent("2026-11-20"), "reportDate" },
            { new StringContent("Organization/riverbend"), "source" },
        };
        var file = new ByteArrayContent(IngestionApp.Utf8(Reports.Hl7));
        file.Headers.ContentType = new MediaTypeHeaderValue("x-application/hl7-v2+er7");
        form.Add(file, "file", "oru.hl7");

        var response = await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("pending", job.GetProperty("status").GetString());
        Assert.Equal("hl7v2", job.GetProperty("format").GetString());
        Assert.Equal("x-application/hl7-v2+er7", job.GetProperty("contentType").GetString());
        var metadata = job.GetProperty("metadata");
        Assert.Equal("http://hospital.example/mrn", metadata.GetProperty("patientIdentifierSystem").GetString());
        Assert.Equal("MRN-77", metadata.GetProperty("patientIdentifierValue").GetString());
        Assert.Equal("lab", metadata.GetProperty("reportType").GetString());
        Assert.Equal("2026-11-20", metadata.GetProperty("reportDate").GetString());
        Assert.Equal("Organization/riverbend", metadata.GetProperty("source").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_MissingRequiredMetadata_Answers400AndStoresNothing(DatabaseProvider provider)
    {
        var app = await apps.GetAsync(provider, "required-lab", new Dictionary<string, string?>
        {
            ["Ingestion:Workers"] = "0",
            ["Ingestion:RequiredMetadata:lab"] = "patientIdentifier, reportDate",
        });
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        using var form = new MultipartFormDataContent { { new StringContent("lab"), "reportType" }, { new StringContent("2026-11-20"), "reportDate" } };
        var file = new ByteArrayContent(IngestionApp.Utf8(Reports.Hl7));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/hl7-v2");
        form.Add(file, "file", "oru.hl7");

        var response = await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("patientIdentifier", out _));
        Assert.Equal(blobsBefore, OriginalCount(app));
        Assert.Equal(0, await JobCountAsync(http));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_SameIdempotencyKey_SameBytesAnswerTheSameJob_OtherBytes409(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        var content = IngestionApp.Utf8(Reports.Hl7);

        var first = await IngestionApp.UploadAsync(http, content, "application/hl7-v2", "batch-42");
        var again = await IngestionApp.UploadAsync(http, content, "application/hl7-v2", "batch-42");
        var other = await IngestionApp.UploadAsync(http, IngestionApp.Utf8(Reports.Hl7 + "OBX|1\r"), "application/hl7-v2", "batch-42");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var firstId = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString();
        Assert.Equal(firstId, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Conflict, "idempotency-key-reused");
        Assert.Equal(blobsBefore + 1, OriginalCount(app));
        Assert.Equal(1, await JobCountAsync(http));
    }

    public static TheoryData<string, string, HttpStatusCode, string> Refusals => new()
    {
        { "application/zip", Reports.Hl7, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type" },
        { "application/pdf", Reports.Hl7, (HttpStatusCode)422, "content-mismatch" },
        { "application/dicom", Reports.Hl7, (HttpStatusCode)422, "content-mismatch" },
        { "application/hl7-v2", "%PDF-1.4\n", (HttpStatusCode)422, "content-mismatch" },
        { "application/fhir+json", "[1,2]", (HttpStatusCode)422, "content-mismatch" },
        { "text/plain", "", (HttpStatusCode)422, "content-mismatch" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Upload_WhenTheTypeIsWrong_IsRefusedAndStoresNothing(string contentType, string content, HttpStatusCode status, string code)
    {
        var app = await apps.IdleAsync(DatabaseProvider.Sqlite);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);

        var response = await IngestionApp.UploadAsync(http, IngestionApp.Utf8(content), contentType);

        await ProblemAssert.IsProblemAsync(response, status, code);
        Assert.Equal(blobsBefore, OriginalCount(app));
        Assert.Equal(0, await JobCountAsync(http));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_Eicar_IsRefusedWherEverItSits(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        var eicar = Reports.Eicar();
        // Inside an otherwise valid HL7 message, past the first read buffer, so the search crosses read boundaries.
        var hidden = IngestionApp.Utf8(Reports.Hl7 + "NTE|1||" + new string('x', 100_003)).Concat(eicar).Concat(IngestionApp.Utf8("\r")).ToArray();

        var bare = await IngestionApp.UploadAsync(http, eicar, "text/plain");
        var inside = await IngestionApp.UploadAsync(http, hidden, "application/hl7-v2");

        await ProblemAssert.IsProblemAsync(bare, (HttpStatusCode)422, "malware-detected");
        await ProblemAssert.IsProblemAsync(inside, (HttpStatusCode)422, "malware-detected");
        Assert.Equal(blobsBefore, OriginalCount(app));
        Assert.Equal(0, await JobCountAsync(http));
    }

    [Fact]
    public async Task Upload_OverTheConfiguredLimit_Answers413AndStoresNothing()
    {
        var app = await apps.GetAsync(DatabaseProvider.Sqlite, "small", new Dictionary<string, string?> { ["Ingestion:Workers"] = "0", ["Ingestion:MaxUploadBytes"] = "1000" });
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        var big = IngestionApp.Utf8(Reports.Hl7 + "NTE|1||" + new string('x', 2000) + "\r");

        var declared = await IngestionApp.UploadAsync(http, big, "application/hl7-v2");
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = new StreamContent(new NoLengthStream(big)) };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/hl7-v2");
        var streamed = await http.SendAsync(chunked);

        await ProblemAssert.IsProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await ProblemAssert.IsProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Equal(blobsBefore, OriginalCount(app));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_ClientDisconnectsMidUpload_LeavesNoJobAndNoBlob(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var blobsBefore = OriginalCount(app);
        var head = IngestionApp.Utf8(Reports.Hl7 + "NTE|1||" + new string('x', 300_000));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = new StreamContent(new FailingStream(head)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/hl7-v2");
        await Assert.ThrowsAnyAsync<Exception>(() => http.SendAsync(request));

        Assert.Equal(blobsBefore, OriginalCount(app));
        Assert.Equal(0, await JobCountAsync(http));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_WithoutDocumentReferenceCreate_Answers403(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync("system/Observation.cruds");
        var blobsBefore = OriginalCount(app);
        using var anonymous = app.CreateClient();

        var forbidden = await IngestionApp.UploadAsync(http, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");
        var unauthenticated = await IngestionApp.UploadAsync(anonymous, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");

        await ProblemAssert.IsProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(blobsBefore, OriginalCount(app));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Upload_ByRole_DoctorsAndStaffSubmit_PatientsAndAdminsDoNot(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (tenant, _, _) = await app.NewHospitalAsync();
        var expected = new Dictionary<string, HttpStatusCode>
        {
            ["doctor"] = HttpStatusCode.Accepted, ["staff"] = HttpStatusCode.Accepted,
            ["patient"] = HttpStatusCode.Forbidden, ["admin"] = HttpStatusCode.Forbidden, ["auditor"] = HttpStatusCode.Forbidden,
        };
        foreach (var (role, status) in expected)
        {
            var (userId, http) = await app.SignedInUserAsync(tenant, role);
            var response = await IngestionApp.UploadAsync(http, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");
            Assert.True(status == response.StatusCode, $"{role}: {response.StatusCode}");
            if (status != HttpStatusCode.Accepted) continue;
            // The submitter follows its own job, whatever its read rights.
            var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(userId, job.GetProperty("submitter").GetString());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"/api/jobs/{job.GetProperty("jobId").GetString()}", UriKind.Relative))).StatusCode);
        }
    }

    /// <summary>Streams its bytes with no known length (chunked upload).</summary>
    sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Yields some bytes, then fails like a dropped connection.</summary>
    sealed class FailingStream(byte[] head) : Stream
    {
        int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= head.Length) throw new IOException("connection reset by test");
            var n = Math.Min(count, head.Length - _position);
            Array.Copy(head, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
