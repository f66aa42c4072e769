namespace Carevault.Portal.BloodRequests;

/// <summary>
/// An ABO/Rh(D) blood group with its SNOMED CT concept (the value of a LOINC 882-1 "ABO and Rh group" Observation;
/// the codes of the eHDSI Blood Group value set used by the European patient summary).
/// </summary>
/// <param name="Key">The short form used in forms: <c>O-</c>, <c>AB+</c>, …</param>
public sealed record BloodGroup(string Key, string Abo, bool RhPositive, string Snomed)
{
    /// <summary>"O negative", "AB positive": how people read it (no "+" for screen readers to skip).</summary>
    public string Display => Abo + (RhPositive ? " positive" : " negative");

    /// <summary>The SNOMED CT display, e.g. "Blood group O Rh(D) negative".</summary>
    public string SnomedDisplay => $"Blood group {Abo} Rh(D) {(RhPositive ? "positive" : "negative")}";
}

/// <summary>
/// The eight ABO/Rh(D) groups and red-cell compatibility. A donor's red cells suit a recipient when they carry no
/// antigen the recipient lacks: every ABO antigen of the donor (A, B; none for O) is also the recipient's, and an
/// Rh(D)-positive donor only gives to an Rh(D)-positive recipient (the standard red-cell table, e.g. the American Red
/// Cross's "blood type compatibility" chart: O negative gives to all, AB positive receives from all). Plasma and
/// platelets follow other rules and are not requested here.
/// </summary>
public static class BloodGroups
{
    public const string LoincSystem = "http://loinc.org";
    public const string AboRhCode = "882-1";
    public const string AboRhDisplay = "ABO and Rh group [Type] in Blood";
    public const string SnomedSystem = "http://snomed.info/sct";

    public static readonly IReadOnlyList<BloodGroup> All =
    [
        new("O-", "O", false, "278148006"),
        new("O+", "O", true, "278147001"),
        new("A-", "A", false, "278152006"),
        new("A+", "A", true, "278149003"),
        new("B-", "B", false, "278153001"),
        new("B+", "B", true, "278150003"),
        new("AB-", "AB", false, "278154007"),
        new("AB+", "AB", true, "278151004"),
    ];

    public static BloodGroup? ByKey(string? key) => All.FirstOrDefault(g => string.Equals(g.Key, key, StringComparison.Ordinal));

    public static BloodGroup? BySnomed(string? code) => All.FirstOrDefault(g => string.Equals(g.Snomed, code, StringComparison.Ordinal));

    /// <summary>Whether red cells of <paramref name="donor"/> may be given to <paramref name="recipient"/>.</summary>
    public static bool CanDonateTo(BloodGroup donor, BloodGroup recipient)
    {
        ArgumentNullException.ThrowIfNull(donor);
        ArgumentNullException.ThrowIfNull(recipient);
        var abo = donor.Abo switch
        {
            "O" => true,
            "A" => recipient.Abo is "A" or "AB",
            "B" => recipient.Abo is "B" or "AB",
            _ => recipient.Abo == "AB",
        };
        return abo && (!donor.RhPositive || recipient.RhPositive);
    }

    /// <summary>The groups whose donors can give red cells to <paramref name="recipient"/>.</summary>
    public static IReadOnlyList<BloodGroup> DonorsFor(BloodGroup recipient) => All.Where(d => CanDonateTo(d, recipient)).ToList();
}
