using System.Text.Json.Nodes;
using Carevault.Ingestion.Mapping;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// Stands in for the HL7 v2 / DICOM / PDF mapping library: a Patient (from the metadata's identifier) and a
/// DiagnosticReport about it. <see cref="Failing"/> makes it throw, like a bug or an outage in a mapper.
/// </summary>
public sealed class TestMapper
{
    int _failing;
    int _calls;

    public bool Failing
    {
        get => Volatile.Read(ref _failing) != 0;
        set => Volatile.Write(ref _failing, value ? 1 : 0);
    }

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>How long each mapping takes (a long-running job), zero by default.</summary>
    public TimeSpan Delay { get; set; }

    public MappingResult Map(MappingInput input)
    {
        Interlocked.Increment(ref _calls);
        if (Failing) throw new InvalidOperationException("mapper failure for the test");
        if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
        if (input.PatientIdentifierValue is null) return new MappingResult(null, new MappingError("test.missing-patient", "The test mapper needs a patient identifier."));
        var patient = "urn:uuid:" + Guid.NewGuid().ToString("D");
        var identifier = new JsonObject { ["value"] = input.PatientIdentifierValue };
        if (input.PatientIdentifierSystem is { } system) identifier["system"] = system;
        return new MappingResult(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new JsonArray(
                new JsonObject
                {
                    ["fullUrl"] = patient,
                    ["resource"] = new JsonObject
                    {
                        ["resourceType"] = "Patient",
                        ["identifier"] = new JsonArray(identifier),
                        ["name"] = new JsonArray(new JsonObject { ["family"] = "Adeyemi" }),
                    },
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Patient" },
                },
                new JsonObject
                {
                    ["resource"] = new JsonObject
                    {
                        ["resourceType"] = "DiagnosticReport",
                        ["status"] = "final",
                        ["code"] = new JsonObject { ["text"] = input.Format.ToString() },
                        ["subject"] = new JsonObject { ["reference"] = patient },
                    },
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "DiagnosticReport" },
                }),
        }, null);
    }
}
