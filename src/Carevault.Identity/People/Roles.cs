namespace Carevault.Identity.People;

/// <summary>The roles people sign in with. Hospital systems are clients, not users.</summary>
public static class Roles
{
    public const string Patient = "patient";
    public const string Doctor = "doctor";
    public const string Staff = "staff";
    public const string Admin = "admin";
    public const string Auditor = "auditor";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Patient, Doctor, Staff, Admin, Auditor };
}
