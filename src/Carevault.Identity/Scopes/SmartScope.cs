using System.Diagnostics.CodeAnalysis;

namespace Carevault.Identity.Scopes;

/// <summary>Who a SMART scope speaks for: a patient's compartment, the signed-in user, or a backend system.</summary>
public enum ScopeContext { Patient, User, System }

/// <summary>FHIR interactions as SMART v2 names them: create, read, update, delete, search.</summary>
[Flags]
public enum ScopePermissions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>
/// One clinical scope, e.g. <c>system/Observation.rs</c> (SMART App Launch 2.0, scopes-and-launch-context) or the v1
/// form <c>patient/*.read</c>. Resource type <c>*</c> means every type.
/// </summary>
public sealed record SmartScope(ScopeContext Context, string ResourceType, ScopePermissions Permissions)
{
    /// <summary>Parses a clinical scope; false for anything else (including <c>openid</c>, <c>launch</c>, …).</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out SmartScope? scope)
    {
        scope = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var dot = text.LastIndexOf('.');
        if (slash <= 0 || dot <= slash + 1 || dot == text.Length - 1) return false;
        ScopeContext? context = text[..slash] switch
        {
            "patient" => ScopeContext.Patient,
            "user" => ScopeContext.User,
            "system" => ScopeContext.System,
            _ => null,
        };
        var resourceType = text[(slash + 1)..dot];
        if (context is null || !IsResourceType(resourceType)) return false;
        var permissions = ParsePermissions(text[(dot + 1)..]);
        if (permissions == ScopePermissions.None) return false;
        scope = new SmartScope(context.Value, resourceType, permissions);
        return true;
    }

    /// <summary>v2 letters in the order c, r, u, d, s (each at most once); or v1 <c>read</c>, <c>write</c>, <c>*</c>.</summary>
    static ScopePermissions ParsePermissions(string text)
    {
        switch (text)
        {
            case "read": return ScopePermissions.Read | ScopePermissions.Search;
            case "write": return ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete;
            case "*": return ScopePermissions.All;
        }
        const string order = "cruds";
        var result = ScopePermissions.None;
        var position = 0;
        foreach (var letter in text)
        {
            var index = order.IndexOf(letter, position);
            if (index < 0) return ScopePermissions.None; // unknown letter, repeated, or out of order
            result |= (ScopePermissions)(1 << index);
            position = index + 1;
        }
        return result;
    }

    static bool IsResourceType(string value)
    {
        if (value == "*") return true;
        if (value.Length == 0 || !char.IsAsciiLetterUpper(value[0])) return false;
        foreach (var c in value)
            if (!char.IsAsciiLetter(c)) return false;
        return true;
    }

    /// <summary>True when this scope allows <paramref name="permission"/> on <paramref name="resourceType"/>.</summary>
    public bool Allows(string resourceType, ScopePermissions permission) =>
        (ResourceType == "*" || ResourceType == resourceType) && (Permissions & permission) == permission;

    /// <summary>True when every permission of <paramref name="requested"/> is within this scope.</summary>
    public bool Covers(SmartScope requested) =>
        Context == requested.Context
        && (ResourceType == "*" || ResourceType == requested.ResourceType)
        && (Permissions & requested.Permissions) == requested.Permissions;

    public override string ToString()
    {
        var letters = string.Concat("cruds".Where((_, i) => (Permissions & (ScopePermissions)(1 << i)) != 0));
        return $"{Context.ToString().ToLowerInvariant()}/{ResourceType}.{letters}";
    }
}
