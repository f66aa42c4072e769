using System.Text.Json;

namespace Carevault.Records.Export;

/// <summary>One row of <c>fhir_export_jobs</c> (Dapper maps columns to these settable properties).</summary>
internal sealed class ExportJob
{
    public const string Pending = "pending";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public string Id { get; set; } = "";
    public string TenantId { get; set; } = "";

    /// <summary>Who kicked it off (<c>client:id</c> or <c>user:id</c>): only they see its status and files.</summary>
    public string Requester { get; set; } = "";

    /// <summary><c>system</c>, <c>patient</c> or <c>group</c>.</summary>
    public string Level { get; set; } = "";
    public string? GroupId { get; set; }

    /// <summary>Comma list of the resource types to export, in output order.</summary>
    public string Types { get; set; } = "";
    public long? Since { get; set; }
    public string RequestUrl { get; set; } = "";
    public long TransactionTime { get; set; }
    public string Status { get; set; } = "";
    public string? Progress { get; set; }
    public string? Output { get; set; }
    public string? ErrorCode { get; set; }
    public long Attempts { get; set; }
    public long NextAttemptAt { get; set; }
    public string? LeaseOwner { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long? FinishedAt { get; set; }
    public long? ExpiresAt { get; set; }

    public IReadOnlyList<string> TypeList => Types.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<ExportFile> Files => Output is null ? [] : JsonSerializer.Deserialize(Output, ExportJson.Default.ListExportFile) ?? [];

    public static string RequesterOf(Identity.Tenants.CallerContext caller) => caller.Kind + ":" + caller.Subject;
}

/// <summary>One NDJSON file of an export: <paramref name="Name"/> is its name in the download URL.</summary>
internal sealed record ExportFile(string Type, string Name, long Count);

[System.Text.Json.Serialization.JsonSerializable(typeof(List<ExportFile>))]
internal sealed partial class ExportJson : System.Text.Json.Serialization.JsonSerializerContext;
