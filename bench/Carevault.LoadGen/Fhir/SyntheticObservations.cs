using System.Globalization;
using System.Text;

namespace Carevault.LoadGen.Fhir;

/// <summary>
/// Realistic synthetic laboratory Observations for the FHIR scenarios: spread over <see cref="Patients"/> patients
/// (<c>Patient/bench-p{n}</c>) and 20 common LOINC codes with their UCUM units and plausible value ranges, effective
/// dates over two years (2024–2025), status final, category laboratory, a reference range. Deterministic per seed, so
/// two runs load the same data.
/// </summary>
public static class SyntheticObservations
{
    public const int Patients = 10_000;

    /// <summary>(LOINC code, display, UCUM unit, low, high) — a basic metabolic panel, blood count, lipids, HbA1c, TSH.</summary>
    public static readonly (string Code, string Display, string Unit, double Low, double High)[] Codes =
    [
        ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 140),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3),
        ("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20),
        ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 135, 145),
        ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1),
        ("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98, 107),
        ("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 22, 29),
        ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12, 17.5),
        ("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36, 50),
        ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4, 11),
        ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400),
        ("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.2, 5.9),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 125, 240),
        ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", 50, 250),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 35, 80),
        ("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "mg/dL", 50, 190),
        ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.5, 9),
        ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 0.4, 4.5),
        ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 7, 56),
    ];

    static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    const int Days = 731;

    /// <summary>Observation number <paramref name="n"/> as one NDJSON line (without the newline).</summary>
    public static string Line(long n, Random random)
    {
        var patient = random.Next(Patients);
        var (code, display, unit, low, high) = Codes[random.Next(Codes.Length)];
        var when = Start.AddMinutes(random.Next(Days * 24 * 60));
        var value = Math.Round(low + (high - low) * (random.NextDouble() * 1.3 - 0.15), 2);
        var interpretation = value < low ? "L" : value > high ? "H" : "N";
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv, $$$"""{"resourceType":"Observation","identifier":[{"system":"urn:bench:lab","value":"obs-{{{n}}}"}],"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory","display":"Laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}","display":"{{{display}}}"}],"text":"{{{display}}}"},"subject":{"reference":"Patient/bench-p{{{patient}}}"},"effectiveDateTime":"{{{when:yyyy-MM-ddTHH:mm:ssZ}}}","issued":"{{{when.AddHours(2):yyyy-MM-ddTHH:mm:ss.fffZ}}}","valueQuantity":{"value":{{{value}}},"unit":"{{{unit}}}","system":"http://unitsofmeasure.org","code":"{{{unit}}}"},"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"{{{interpretation}}}"}]}],"referenceRange":[{"low":{"value":{{{low}}},"unit":"{{{unit}}}","system":"http://unitsofmeasure.org","code":"{{{unit}}}"},"high":{"value":{{{high}}},"unit":"{{{unit}}}","system":"http://unitsofmeasure.org","code":"{{{unit}}}"}}]}""");
    }

    /// <summary>An NDJSON request body generated while it is sent: lines <paramref name="first"/>… of the seeded sequence.</summary>
    public sealed class NdjsonContent(long first, int count, int seed) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var random = new Random(unchecked(seed * 7919 + (int)first));
            var buffer = new StringBuilder(1 << 20);
            for (var i = 0; i < count; i++)
            {
                buffer.Append(Line(first + i, random)).Append('\n');
                if (buffer.Length < 1 << 20) continue;
                await stream.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()));
                buffer.Clear();
            }
            if (buffer.Length > 0) await stream.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
