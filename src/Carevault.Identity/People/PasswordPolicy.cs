namespace Carevault.Identity.People;

/// <summary>
/// What a password must be (NIST SP 800-63B §5.1.1.2: length over composition rules): 12 to 128 characters, not the
/// username. Hashing is PBKDF2 through ASP.NET Core Identity's <c>PasswordHasher</c> (HMAC-SHA512, 100,000 rounds).
/// </summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 128;

    /// <summary>Null when acceptable, else the reason (never echoing the password).</summary>
    public static string? Check(string password, string username)
    {
        if (password.Length < MinimumLength) return $"A password has at least {MinimumLength} characters.";
        if (password.Length > MaximumLength) return $"A password has at most {MaximumLength} characters.";
        if (string.Equals(password, username, StringComparison.OrdinalIgnoreCase)) return "A password must not be the username.";
        if (password.Distinct().Count() < 4) return "A password needs more than three different characters.";
        return null;
    }
}

/// <summary>
/// Lockout with growing delays: from the 5th consecutive failure, each further failure locks the account for
/// 30 s × 2^(failures − 5), at most one hour. A success clears the count.
/// </summary>
public static class Lockout
{
    public const int FreeAttempts = 4;
    static readonly TimeSpan Base = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Max = TimeSpan.FromHours(1);

    public static TimeSpan DelayAfter(int consecutiveFailures)
    {
        if (consecutiveFailures <= FreeAttempts) return TimeSpan.Zero;
        var exponent = Math.Min(consecutiveFailures - FreeAttempts - 1, 16);
        var delay = Base * Math.Pow(2, exponent);
        return delay > Max ? Max : delay;
    }
}
