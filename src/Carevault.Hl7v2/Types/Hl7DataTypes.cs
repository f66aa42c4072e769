namespace Carevault.Hl7v2.Types;

/// <summary>CE/CWE/CNE (coded element): code, text and coding system, plus the alternate triple (HL7 v2.5.1 §2.A.13).</summary>
public sealed record Hl7CodedElement
{
    /// <summary>CWE.1 identifier (the code).</summary>
    public string? Code { get; init; }

    /// <summary>CWE.2 text.</summary>
    public string? Text { get; init; }

    /// <summary>CWE.3 name of coding system (e.g. "LN", "SCT", "UCUM").</summary>
    public string? CodingSystem { get; init; }

    /// <summary>CWE.4 alternate identifier.</summary>
    public string? AlternateCode { get; init; }

    /// <summary>CWE.5 alternate text.</summary>
    public string? AlternateText { get; init; }

    /// <summary>CWE.6 name of alternate coding system.</summary>
    public string? AlternateCodingSystem { get; init; }

    /// <summary>CWE.7 coding system version id.</summary>
    public string? CodingSystemVersion { get; init; }

    /// <summary>CWE.9 original text.</summary>
    public string? OriginalText { get; init; }

    /// <summary>Reads a CE/CWE from a field repetition (components); null when empty.</summary>
    public static Hl7CodedElement? From(Hl7Value value) => value.IsEmpty ? null : new Hl7CodedElement
    {
        Code = value.Component(1).GetStringOrNull(),
        Text = value.Component(2).GetStringOrNull(),
        CodingSystem = value.Component(3).GetStringOrNull(),
        AlternateCode = value.Component(4).GetStringOrNull(),
        AlternateText = value.Component(5).GetStringOrNull(),
        AlternateCodingSystem = value.Component(6).GetStringOrNull(),
        CodingSystemVersion = value.Component(7).GetStringOrNull(),
        OriginalText = value.Component(9).GetStringOrNull(),
    };
}

/// <summary>HD (hierarchic designator): an assigning authority or application, e.g. "HOSP&amp;1.2.3&amp;ISO".</summary>
public sealed record Hl7HierarchicDesignator
{
    /// <summary>HD.1 namespace id.</summary>
    public string? NamespaceId { get; init; }

    /// <summary>HD.2 universal id (often an OID).</summary>
    public string? UniversalId { get; init; }

    /// <summary>HD.3 universal id type (e.g. "ISO", "DNS").</summary>
    public string? UniversalIdType { get; init; }

    /// <summary>Reads an HD that is a whole field (MSH-3): its parts are components.</summary>
    public static Hl7HierarchicDesignator? FromField(Hl7Value value) => value.IsEmpty ? null : Create(
        value.Component(1).GetStringOrNull(), value.Component(2).GetStringOrNull(), value.Component(3).GetStringOrNull());

    /// <summary>Reads an HD nested in a component (CX.4): its parts are sub-components.</summary>
    public static Hl7HierarchicDesignator? FromComponent(Hl7Value component) => component.IsEmpty ? null : Create(
        component.SubComponent(1).GetStringOrNull(), component.SubComponent(2).GetStringOrNull(), component.SubComponent(3).GetStringOrNull());

    private static Hl7HierarchicDesignator? Create(string? ns, string? id, string? type) =>
        ns is null && id is null && type is null ? null : new Hl7HierarchicDesignator { NamespaceId = ns, UniversalId = id, UniversalIdType = type };
}

/// <summary>CX (extended composite id): a patient or visit identifier with its assigning authority.</summary>
public sealed record Hl7Identifier
{
    /// <summary>CX.1 id number.</summary>
    public required string Value { get; init; }

    /// <summary>CX.4 assigning authority.</summary>
    public Hl7HierarchicDesignator? AssigningAuthority { get; init; }

    /// <summary>CX.5 identifier type code (e.g. "MR", "SS", "PI").</summary>
    public string? TypeCode { get; init; }

    /// <summary>CX.6 assigning facility.</summary>
    public Hl7HierarchicDesignator? AssigningFacility { get; init; }

    /// <summary>Reads a CX from a field repetition; null when CX.1 is empty.</summary>
    public static Hl7Identifier? From(Hl7Value value)
    {
        string? id = value.Component(1).GetStringOrNull();
        return id is null ? null : new Hl7Identifier
        {
            Value = id,
            AssigningAuthority = Hl7HierarchicDesignator.FromComponent(value.Component(4)),
            TypeCode = value.Component(5).GetStringOrNull(),
            AssigningFacility = Hl7HierarchicDesignator.FromComponent(value.Component(6)),
        };
    }
}

/// <summary>EI (entity identifier): an order or document number with the namespace that issued it.</summary>
public sealed record Hl7EntityIdentifier
{
    /// <summary>EI.1 entity identifier.</summary>
    public required string Value { get; init; }

    /// <summary>EI.2 namespace id.</summary>
    public string? NamespaceId { get; init; }

    /// <summary>EI.3 universal id.</summary>
    public string? UniversalId { get; init; }

    /// <summary>EI.4 universal id type.</summary>
    public string? UniversalIdType { get; init; }

    /// <summary>Reads an EI from a field repetition; null when EI.1 is empty.</summary>
    public static Hl7EntityIdentifier? From(Hl7Value value)
    {
        string? id = value.Component(1).GetStringOrNull();
        return id is null ? null : new Hl7EntityIdentifier
        {
            Value = id,
            NamespaceId = value.Component(2).GetStringOrNull(),
            UniversalId = value.Component(3).GetStringOrNull(),
            UniversalIdType = value.Component(4).GetStringOrNull(),
        };
    }
}

/// <summary>XPN (person name).</summary>
public sealed record Hl7PersonName
{
    /// <summary>XPN.1.1 surname.</summary>
    public string? Family { get; init; }

    /// <summary>XPN.2 given name.</summary>
    public string? Given { get; init; }

    /// <summary>XPN.3 second and further given names or initials.</summary>
    public string? Middle { get; init; }

    /// <summary>XPN.4 suffix (e.g. "JR").</summary>
    public string? Suffix { get; init; }

    /// <summary>XPN.5 prefix (e.g. "DR").</summary>
    public string? Prefix { get; init; }

    /// <summary>XPN.7 name type code (e.g. "L" legal).</summary>
    public string? TypeCode { get; init; }

    /// <summary>Reads an XPN from a field repetition; null when it has no name parts.</summary>
    public static Hl7PersonName? From(Hl7Value value)
    {
        var name = new Hl7PersonName
        {
            Family = value.Component(1).SubComponent(1).GetStringOrNull(),
            Given = value.Component(2).GetStringOrNull(),
            Middle = value.Component(3).GetStringOrNull(),
            Suffix = value.Component(4).GetStringOrNull(),
            Prefix = value.Component(5).GetStringOrNull(),
            TypeCode = value.Component(7).GetStringOrNull(),
        };
        return name.Family is null && name.Given is null && name.Middle is null ? null : name;
    }
}

/// <summary>XCN (extended composite id and name for persons): a practitioner.</summary>
public sealed record Hl7Practitioner
{
    /// <summary>XCN.1 id number.</summary>
    public string? Id { get; init; }

    /// <summary>XCN.2-XCN.6 (family, given, middle, suffix, prefix).</summary>
    public Hl7PersonName? Name { get; init; }

    /// <summary>XCN.9 assigning authority.</summary>
    public Hl7HierarchicDesignator? AssigningAuthority { get; init; }

    /// <summary>XCN.13 identifier type code (e.g. "NPI").</summary>
    public string? IdentifierTypeCode { get; init; }

    /// <summary>Reads an XCN from a field repetition; null when it has neither id nor name.</summary>
    public static Hl7Practitioner? From(Hl7Value value)
    {
        string? id = value.Component(1).GetStringOrNull();
        var name = new Hl7PersonName
        {
            Family = value.Component(2).SubComponent(1).GetStringOrNull(),
            Given = value.Component(3).GetStringOrNull(),
            Middle = value.Component(4).GetStringOrNull(),
            Suffix = value.Component(5).GetStringOrNull(),
            Prefix = value.Component(6).GetStringOrNull(),
        };
        bool hasName = name.Family is not null || name.Given is not null || name.Middle is not null;
        return id is null && !hasName ? null : new Hl7Practitioner
        {
            Id = id,
            Name = hasName ? name : null,
            AssigningAuthority = Hl7HierarchicDesignator.FromComponent(value.Component(9)),
            IdentifierTypeCode = value.Component(13).GetStringOrNull(),
        };
    }
}

/// <summary>PL (person location): point of care, room, bed, facility.</summary>
public sealed record Hl7Location
{
    /// <summary>PL.1 point of care (ward/unit).</summary>
    public string? PointOfCare { get; init; }

    /// <summary>PL.2 room.</summary>
    public string? Room { get; init; }

    /// <summary>PL.3 bed.</summary>
    public string? Bed { get; init; }

    /// <summary>PL.4 facility.</summary>
    public Hl7HierarchicDesignator? Facility { get; init; }

    /// <summary>PL.9 location description.</summary>
    public string? Description { get; init; }

    /// <summary>Reads a PL from a field repetition; null when empty.</summary>
    public static Hl7Location? From(Hl7Value value) => value.IsEmpty ? null : new Hl7Location
    {
        // From v2.7 PL.1-3 are HD (e.g. "HUH AE OMU&9.8&ISO"); the first sub-component is the name in every version.
        PointOfCare = value.Component(1).SubComponent(1).GetStringOrNull(),
        Room = value.Component(2).SubComponent(1).GetStringOrNull(),
        Bed = value.Component(3).SubComponent(1).GetStringOrNull(),
        Facility = Hl7HierarchicDesignator.FromComponent(value.Component(4)),
        Description = value.Component(9).GetStringOrNull(),
    };
}
