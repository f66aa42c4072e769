using System.Globalization;
using Carevault.Audit.Trail;
using Microsoft.AspNetCore.Http;

namespace Carevault.Audit.Http;

/// <summary>
/// The filters shared by <c>GET /api/audit</c> and <c>GET /fhir/AuditEvent</c>: agent, entity, date (with the FHIR
/// prefixes eq, ge, gt, le, lt over an instant or a day, repeatable), outcome, type, plus a count and a cursor.
/// </summary>
internal static class AuditQuery
{
    public const int DefaultCount = 100;
    public const int MaxCount = 1000;

    public sealed record Parsed(AuditFilter Filter, int Count);

    /// <param name="fhirOutcome">Accept the FHIR AuditEvent outcome codes (0 success; 4, 8, 12 failure) as well.</param>
    public static (Parsed? Query, string? Error) Parse(IQueryCollection query, string cursorName, bool fhirOutcome)
    {
        var filter = new AuditFilter();
        var count = DefaultCount;
        foreach (var (name, values) in query)
        {
            foreach (var raw in values)
            {
                var value = raw ?? "";
                if (value.Length > 300) return (null, $"The {name} parameter is too long.");
                switch (name)
                {
                    case "agent":
                        filter = filter with { Agent = Reference(value) };
                        break;
                    case "entity":
                        filter = filter with { Entity = value };
                        break;
                    case "type" or "subtype":
                        filter = filter with { Action = value.Contains('|', StringComparison.Ordinal) ? value[(value.IndexOf('|', StringComparison.Ordinal) + 1)..] : value };
                        break;
                    case "outcome":
                        var outcome = value switch
                        {
                            AuditOutcomes.Success or AuditOutcomes.Failure => value,
                            "0" when fhirOutcome => AuditOutcomes.Success,
                            "4" or "8" or "12" when fhirOutcome => AuditOutcomes.Failure,
                            _ => null,
                        };
                        if (outcome is null) return (null, fhirOutcome ? "outcome is 0 (success) or 4, 8, 12 (failure)." : "outcome is success or failure.");
                        filter = filter with { Outcome = outcome };
                        break;
                    case "date":
                        if (!TryApplyDate(ref filter, value)) return (null, "date is [eq|ge|gt|le|lt]YYYY-MM-DD or an instant such as ge2026-01-31T08:00:00Z.");
                        break;
                    case "_count" or "count":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxCount)
                            return (null, $"{name} is a number from 1 to {MaxCount}.");
                        break;
                    default:
                        if (name == cursorName)
                        {
                            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var below)) return (null, $"{cursorName} is not valid.");
                            filter = filter with { BelowSeq = below };
                        }
                        else if (name is not ("_format"))
                        {
                            return (null, $"Unknown parameter {name}: use agent, entity, date, outcome, type, {(fhirOutcome ? "_count" : "count")}.");
                        }
                        break;
                }
            }
        }
        return (new Parsed(filter, count), null);
    }

    /// <summary>An agent may be given as a bare id or as a reference (<c>Practitioner/abc</c>): the id is matched.</summary>
    static string Reference(string value) => value.LastIndexOf('/') is var slash and >= 0 ? value[(slash + 1)..] : value;

    static bool TryApplyDate(ref AuditFilter filter, string value)
    {
        var prefix = value.Length > 2 && char.IsAsciiLetter(value[0]) ? value[..2] : "eq";
        var text = value.Length > 2 && char.IsAsciiLetter(value[0]) ? value[2..] : value;
        long low, high;
        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            low = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
            high = low + (long)TimeSpan.FromDays(1).TotalMilliseconds;
        }
        else if (text.Length > 10 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            low = instant.ToUnixTimeMilliseconds();
            high = low + 1;
        }
        else return false;
        switch (prefix)
        {
            case "eq":
                filter = filter with { From = Max(filter.From, low), Before = Min(filter.Before, high) };
                return true;
            case "ge":
                filter = filter with { From = Max(filter.From, low) };
                return true;
            case "gt":
                filter = filter with { From = Max(filter.From, high) };
                return true;
            case "le":
                filter = filter with { Before = Min(filter.Before, high) };
                return true;
            case "lt":
                filter = filter with { Before = Min(filter.Before, low) };
                return true;
            default:
                return false;
        }
    }

    static long Max(long? a, long b) => a is { } x && x > b ? x : b;

    static long Min(long? a, long b) => a is { } x && x < b ? x : b;
}
