using System.Text;
using System.Text.Json.Nodes;
using Carevault.Hl7v2;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>XAD → Address and XTN → ContactPoint (HL7 v2.5.1 §2A.89 XAD, §2A.90 XTN).</summary>
internal static class Hl7ContactMapper
{
    /// <summary>PID-11 repetitions as Addresses, or null when none has content.</summary>
    public static JsonArray? Addresses(Hl7Value field)
    {
        JsonArray? addresses = null;
        for (int r = 0; r < field.RepetitionCount; r++)
        {
            if (Address(field.Repetition(r)) is { } address)
            {
                (addresses ??= []).Add(address);
            }
        }

        return addresses;
    }

    private static JsonObject? Address(Hl7Value xad)
    {
        var address = new JsonObject();
        // HL7 table 0190 address types → FHIR address-use / address-type.
        switch (xad.Component(7).GetStringOrNull())
        {
            case "H":
                address["use"] = "home";
                break;
            case "B" or "O":
                address["use"] = "work";
                break;
            case "C":
                address["use"] = "temp";
                break;
            case "BA":
                address["use"] = "old";
                break;
            case "M":
                address["type"] = "postal";
                break;
        }

        var lines = new JsonArray();
        if (FhirValues.Text(JoinSubComponents(xad.Component(1))) is { } street)
        {
            lines.Add(street);
        }

        if (FhirValues.Text(xad.Component(2).GetStringOrNull()) is { } other)
        {
            lines.Add(other);
        }

        bool hasContent = lines.Count > 0;
        if (hasContent)
        {
            address["line"] = lines;
        }

        hasContent |= Set(address, "city", xad.Component(3));
        hasContent |= Set(address, "state", xad.Component(4));
        hasContent |= Set(address, "postalCode", xad.Component(5));
        hasContent |= Set(address, "country", xad.Component(6));
        return hasContent ? address : null;
    }

    /// <summary>PID-13 (home) and PID-14 (business) as ContactPoints.</summary>
    public static JsonArray? Telecom(Hl7Segment pid)
    {
        JsonArray? telecom = null;
        AddContactPoints(ref telecom, pid.Field(13), "home");
        AddContactPoints(ref telecom, pid.Field(14), "work");
        return telecom;
    }

    private static void AddContactPoints(ref JsonArray? telecom, Hl7Value field, string defaultUse)
    {
        for (int r = 0; r < field.RepetitionCount; r++)
        {
            if (ContactPoint(field.Repetition(r), defaultUse) is { } point)
            {
                (telecom ??= []).Add(point);
            }
        }
    }

    private static JsonObject? ContactPoint(Hl7Value xtn, string defaultUse)
    {
        string? useCode = xtn.Component(2).GetStringOrNull();
        string? equipment = xtn.Component(3).GetStringOrNull();
        bool email = useCode == "NET" || equipment is "Internet" or "X.400";
        string? value = email
            ? FhirValues.Text(xtn.Component(4).GetStringOrNull() ?? xtn.Component(1).GetStringOrNull())
            : FhirValues.Text(xtn.Component(1).GetStringOrNull() ?? PhoneNumber(xtn));
        if (value is null)
        {
            return null;
        }

        string system = email ? "email" : equipment switch
        {
            "FX" => "fax",
            "BP" => "pager",
            _ => "phone",
        };
        string use = equipment == "CP" ? "mobile" : useCode switch
        {
            "PRN" or "ORN" or "VHN" => "home",
            "WPN" => "work",
            _ => defaultUse,
        };
        return new JsonObject { ["system"] = system, ["value"] = value, ["use"] = use };
    }

    // XTN.5 country, .6 area, .7 local number, .8 extension.
    private static string? PhoneNumber(Hl7Value xtn)
    {
        string? local = xtn.Component(7).GetStringOrNull();
        if (local is null)
        {
            return null;
        }

        var sb = new StringBuilder();
        if (xtn.Component(5).GetStringOrNull() is { } country)
        {
            sb.Append('+').Append(country).Append(' ');
        }

        if (xtn.Component(6).GetStringOrNull() is { } area)
        {
            sb.Append('(').Append(area).Append(") ");
        }

        sb.Append(local);
        if (xtn.Component(8).GetStringOrNull() is { } extension)
        {
            sb.Append(" ext. ").Append(extension);
        }

        return sb.ToString();
    }

    private static string? JoinSubComponents(Hl7Value component)
    {
        int count = component.SubComponentCount;
        if (count <= 1)
        {
            return component.GetStringOrNull();
        }

        var sb = new StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            if (component.SubComponent(i).GetStringOrNull() is { } part)
            {
                sb.Append(sb.Length > 0 ? " " : string.Empty).Append(part);
            }
        }

        return sb.Length == 0 ? null : sb.ToString();
    }

    private static bool Set(JsonObject target, string name, Hl7Value value)
    {
        if (FhirValues.Text(value.GetStringOrNull()?.Trim()) is { } text)
        {
            target[name] = text;
            return true;
        }

        return false;
    }
}
