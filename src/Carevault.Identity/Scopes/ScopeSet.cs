namespace Carevault.Identity.Scopes;

/// <summary>A space-separated OAuth scope string (RFC 6749 §3.3), with its SMART clinical scopes parsed.</summary>
public sealed class ScopeSet
{
    ScopeSet(IReadOnlyList<string> values, IReadOnlyList<SmartScope> clinical)
    {
        Values = values;
        Clinical = clinical;
    }

    public static readonly ScopeSet Empty = new([], []);

    public IReadOnlyList<string> Values { get; }
    public IReadOnlyList<SmartScope> Clinical { get; }

    /// <summary>Parses a scope string; false when any scope is neither a SMART clinical scope nor a known other scope.</summary>
    public static bool TryParse(string? text, out ScopeSet scopes)
    {
        scopes = Empty;
        var values = new List<string>();
        var clinical = new List<SmartScope>();
        foreach (var value in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (SmartScope.TryParse(value, out var scope)) clinical.Add(scope);
            else if (!OtherScopes.Contains(value)) return false;
            if (!values.Contains(value)) values.Add(value);
        }
        scopes = new ScopeSet(values, clinical);
        return true;
    }

    static readonly HashSet<string> OtherScopes = ["openid", "fhirUser", "profile", "launch", "launch/patient", "offline_access", "online_access"];

    public bool Allows(ScopeContext context, string resourceType, ScopePermissions permission) =>
        Clinical.Any(s => s.Context == context && s.Allows(resourceType, permission));

    /// <summary>True when every scope of <paramref name="requested"/> is granted by this set.</summary>
    public bool Covers(ScopeSet requested) =>
        requested.Values.All(v => Values.Contains(v) || (SmartScope.TryParse(v, out var r) && Clinical.Any(g => g.Covers(r))));

    public override string ToString() => string.Join(' ', Values);
}
