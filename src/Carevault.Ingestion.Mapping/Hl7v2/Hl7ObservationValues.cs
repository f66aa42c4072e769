using System.Globalization;
using System.Text.Json.Nodes;
using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>OBX pieces → Observation elements: value[x], units, reference range, interpretation, status.</summary>
internal static class Hl7ObservationValues
{
    private const string InterpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

    // HL7 v2 table 0078 codes that exist with the same code in v3 ObservationInterpretation (the v2-to-FHIR
    // ConceptMap "Table 0078 to ObservationInterpretation" maps them one to one).
    private static readonly Dictionary<string, string> Interpretations = new(StringComparer.Ordinal)
    {
        ["L"] = "Low",
        ["H"] = "High",
        ["LL"] = "Critical low",
        ["HH"] = "Critical high",
        ["LU"] = "Significantly low",
        ["HU"] = "Significantly high",
        ["<"] = "Off scale low",
        [">"] = "Off scale high",
        ["N"] = "Normal",
        ["A"] = "Abnormal",
        ["AA"] = "Critical abnormal",
        ["U"] = "Significant change up",
        ["D"] = "Significant change down",
        ["B"] = "Better",
        ["W"] = "Worse",
        ["S"] = "Susceptible",
        ["R"] = "Resistant",
        ["I"] = "Intermediate",
        ["MS"] = "moderately susceptible",
        ["VS"] = "very susceptible",
        ["NEG"] = "Negative",
        ["POS"] = "Positive",
        ["IND"] = "Indeterminate",
        ["DET"] = "Detected",
        ["ND"] = "Not detected",
        ["AC"] = "Anti-complementary substances present",
        ["RR"] = "Reactive",
        ["WR"] = "Weakly reactive",
        ["NR"] = "Non-reactive",
        ["QCF"] = "Quality control failure",
        ["TOX"] = "Cytotoxic substance present",
        ["EX"] = "outside threshold",
        ["HX"] = "above high threshold",
        ["LX"] = "below low threshold",
        ["E"] = "Equivocal",
        ["SDD"] = "Susceptible-dose dependent",
        ["NS"] = "non-susceptible",
        ["SYN-R"] = "Synergy - resistant",
        ["SYN-S"] = "Synergy - susceptible",
    };

    // Common lab spellings that are not UCUM, with their UCUM code (UCUM §§ 4-5; "/min" for a rate per minute).
    private static readonly Dictionary<string, string> UnitAliases = new(StringComparer.Ordinal)
    {
        ["mg/dl"] = "mg/dL",
        ["g/dl"] = "g/dL",
        ["mmol/l"] = "mmol/L",
        ["umol/l"] = "umol/L",
        ["meq/l"] = "meq/L",
        ["mEq/L"] = "meq/L",
        ["iu/l"] = "[IU]/L",
        ["IU/L"] = "[IU]/L",
        ["U/l"] = "U/L",
        ["u/L"] = "U/L",
        ["ng/ml"] = "ng/mL",
        ["pg/ml"] = "pg/mL",
        ["fl"] = "fL",
        ["FL"] = "fL",
        ["K/uL"] = "10*3/uL",
        ["K/UL"] = "10*3/uL",
        ["x10E3/uL"] = "10*3/uL",
        ["M/uL"] = "10*6/uL",
        ["x10E6/uL"] = "10*6/uL",
        ["beats/min"] = "/min",
        ["bpm"] = "/min",
        ["BPM"] = "/min",
        ["breaths/min"] = "/min",
        ["mmHg"] = "mm[Hg]",
        ["mm Hg"] = "mm[Hg]",
        ["degC"] = "Cel",
        ["°C"] = "Cel",
        ["degF"] = "[degF]",
        ["°F"] = "[degF]",
        ["sec"] = "s",
        ["secs"] = "s",
        ["mins"] = "min",
        ["hrs"] = "h",
        ["lbs"] = "[lb_av]",
        ["lb"] = "[lb_av]",
        ["in"] = "[in_i]",
        ["inch"] = "[in_i]",
    };

    // Units that are valid UCUM as written and common enough in lab results to accept without OBX-6.3 = "UCUM".
    private static readonly HashSet<string> PlainUcum = new(StringComparer.Ordinal)
    {
        "%", "g", "mg", "ug", "ng", "kg", "L", "mL", "dL", "uL", "fL", "pg", "mm", "cm", "m", "s", "min", "h", "d",
        "mg/dL", "g/dL", "g/L", "mg/L", "ug/dL", "ug/L", "ng/mL", "ng/dL", "pg/mL", "mmol/L", "umol/L", "nmol/L",
        "pmol/L", "meq/L", "mosm/kg", "U/L", "[IU]/L", "m[IU]/L", "/min", "mm[Hg]", "Cel", "[degF]", "10*3/uL",
        "10*6/uL", "10*9/L", "10*12/L", "/uL", "mL/min", "mL/min/{1.73_m2}", "mm/h", "kg/m2", "[lb_av]", "[in_i]",
        "{ratio}", "{index}", "1", "ratio",
    };

    /// <summary>
    /// OBX-6 → the unit parts of a Quantity: UCUM code and system when OBX-6.3 says UCUM or the unit is a known
    /// UCUM unit (or a common alias of one); otherwise only the human unit text.
    /// </summary>
    public static void AddUnit(JsonObject quantity, Hl7CodedElement? units)
    {
        string? code = FhirValues.Code(units?.Code);
        if (code is null)
        {
            return;
        }

        quantity["unit"] = FhirValues.Text(units!.Text) ?? code;
        // The micro sign (U+00B5) and Greek mu (U+03BC) are written "u" in UCUM's case-sensitive form.
        string plain = code.Replace('\u00B5', 'u').Replace('\u03BC', 'u');
        string? ucum = string.Equals(units.CodingSystem, "UCUM", StringComparison.OrdinalIgnoreCase) ? code
            : PlainUcum.Contains(plain) ? plain
            : UnitAliases.TryGetValue(plain, out string? alias) ? alias
            : null;
        if (ucum is not null)
        {
            quantity["system"] = Hl7CodeSystems.Ucum;
            quantity["code"] = ucum;
        }
    }

    /// <summary>value[x] for the OBX-2 type: NM Quantity, SN Quantity/Range/Ratio, CE/CWE CodeableConcept, ST/TX/FT string, DT/TS dateTime.</summary>
    public static void AddValue(JsonObject observation, Hl7Observation obx, Hl7Dates dates)
    {
        if (obx.Values.Count == 0)
        {
            return;
        }

        Hl7ObservationValue first = obx.Values[0];
        switch (obx.ValueType)
        {
            case "NM":
                if (first.Number is { } number)
                {
                    var quantity = new JsonObject { ["value"] = FhirValues.Decimal(number) };
                    AddUnit(quantity, obx.Units);
                    observation["valueQuantity"] = quantity;
                }
                else if (FhirValues.Text(first.Text) is { } text)
                {
                    observation["valueString"] = text;
                }

                break;
            case "SN":
                AddStructuredNumeric(observation, first, obx.Units);
                break;
            case "CE" or "CWE" or "CNE" or "CF":
                if (Hl7CodeSystems.ToCodeableConcept(first.Coded) is { } concept)
                {
                    observation["valueCodeableConcept"] = concept;
                }

                break;
            case "ST" or "TX" or "FT":
                if (FhirValues.Text(JoinText(obx.Values)) is { } joined)
                {
                    observation["valueString"] = joined;
                }

                break;
            case "DT" or "DTM" or "TS":
                if (dates.DateTime(first.DateTime) is { } dateTime)
                {
                    observation["valueDateTime"] = dateTime;
                }

                break;
        }
    }

    private static string JoinText(IReadOnlyList<Hl7ObservationValue> values)
    {
        if (values.Count == 1)
        {
            return values[0].Text;
        }

        var parts = new string[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            parts[i] = values[i].Text;
        }

        return string.Join('\n', parts);
    }

    // HL7 v2.5.1 §2A.75 SN: "<^10" comparator, "^2^-^4" range, "^1^:^128" ratio, "^5^+" (5 or more).
    private static void AddStructuredNumeric(JsonObject observation, Hl7ObservationValue value, Hl7CodedElement? units)
    {
        if (value.StructuredNumeric is not { Number1: { } n1 } sn)
        {
            if (FhirValues.Text(value.Text) is { } text)
            {
                observation["valueString"] = text;
            }

            return;
        }

        if (sn.SeparatorOrSuffix is null or "" && sn.Number2 is null)
        {
            var quantity = new JsonObject { ["value"] = FhirValues.Decimal(n1) };
            if (sn.Comparator is "<" or "<=" or ">" or ">=")
            {
                quantity["comparator"] = sn.Comparator;
            }
            else if (sn.Comparator is { Length: > 0 } and not "=")
            {
                observation["valueString"] = FhirValues.Text(value.Text);
                return;
            }

            AddUnit(quantity, units);
            observation["valueQuantity"] = quantity;
        }
        else if (sn.SeparatorOrSuffix == "-" && sn.Number2 is { } high && sn.Comparator is null)
        {
            var low = new JsonObject { ["value"] = FhirValues.Decimal(n1) };
            var hi = new JsonObject { ["value"] = FhirValues.Decimal(high) };
            AddUnit(low, units);
            AddUnit(hi, units);
            observation["valueRange"] = new JsonObject { ["low"] = low, ["high"] = hi };
        }
        else if (sn.SeparatorOrSuffix is ":" or "/" && sn.Number2 is { } denominator && sn.Comparator is null)
        {
            observation["valueRatio"] = new JsonObject
            {
                ["numerator"] = new JsonObject { ["value"] = FhirValues.Decimal(n1) },
                ["denominator"] = new JsonObject { ["value"] = FhirValues.Decimal(denominator) },
            };
        }
        else if (FhirValues.Text(value.Text) is { } text)
        {
            observation["valueString"] = text;
        }
    }

    /// <summary>
    /// OBX-7 → referenceRange: "3.5-5.0" low and high, "&lt;10"/"&lt;=10" high, "&gt;2"/"&gt;=2" low (with the OBX-6
    /// unit); anything else is kept as text.
    /// </summary>
    public static JsonObject? ReferenceRange(string? range, Hl7CodedElement? units)
    {
        if (string.IsNullOrWhiteSpace(range))
        {
            return null;
        }

        ReadOnlySpan<char> s = range.AsSpan().Trim();
        var result = new JsonObject();
        if (s.StartsWith("<"))
        {
            if (Number(s[(s.StartsWith("<=") ? 2 : 1)..]) is { } high)
            {
                result["high"] = Quantity(high, units);
            }
        }
        else if (s.StartsWith(">"))
        {
            if (Number(s[(s.StartsWith(">=") ? 2 : 1)..]) is { } low)
            {
                result["low"] = Quantity(low, units);
            }
        }
        else
        {
            // The separating '-' is the first one after the first number (which may itself be negative).
            int dash = s.Length > 1 ? s[1..].IndexOf('-') : -1;
            if (dash >= 0 && Number(s[..(dash + 1)]) is { } low && Number(s[(dash + 2)..]) is { } high)
            {
                result["low"] = Quantity(low, units);
                result["high"] = Quantity(high, units);
            }
        }

        if (result.Count == 0 && FhirValues.Text(range.Trim()) is { } text)
        {
            result["text"] = text;
        }

        return result.Count == 0 ? null : result;
    }

    private static JsonObject Quantity(decimal value, Hl7CodedElement? units)
    {
        var quantity = new JsonObject { ["value"] = FhirValues.Decimal(value) };
        AddUnit(quantity, units);
        return quantity;
    }

    private static decimal? Number(ReadOnlySpan<char> text) =>
        decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal d)
            ? d
            : null;

    /// <summary>OBX-8 flags → interpretation: v3 ObservationInterpretation codings; unknown flags as text.</summary>
    public static JsonArray? Interpretation(IReadOnlyList<string> flags)
    {
        if (flags.Count == 0)
        {
            return null;
        }

        var concepts = new JsonArray();
        foreach (string flag in flags)
        {
            string code = flag.Trim();
            if (Interpretations.TryGetValue(code, out string? display))
            {
                concepts.Add(FhirValues.CodeableConcept(InterpretationSystem, code, display));
            }
            else if (FhirValues.Text(code) is { } text)
            {
                concepts.Add(new JsonObject { ["text"] = text });
            }
        }

        return concepts.Count == 0 ? null : concepts;
    }

    /// <summary>OBX-11 (HL7 table 0085) → Observation.status (v2-to-FHIR ConceptMap "Table 0085").</summary>
    public static string ObservationStatus(string? code) => code?.Trim() switch
    {
        "F" or "U" => "final",
        "P" or "R" or "S" => "preliminary",
        "C" => "corrected",
        "A" => "amended",
        "D" or "W" => "entered-in-error",
        "X" or "N" => "cancelled",
        "I" or "O" => "registered",
        _ => "unknown",
    };

    /// <summary>OBR-25 (HL7 table 0123) → DiagnosticReport.status.</summary>
    public static string ReportStatus(string? code) => code?.Trim() switch
    {
        "F" => "final",
        "P" => "preliminary",
        "C" => "corrected",
        "A" or "R" or "S" => "partial",
        "O" or "I" => "registered",
        "X" => "cancelled",
        "M" => "amended",
        _ => "unknown",
    };
}
