namespace Carevault.Fhir.Validation;

/// <summary>OperationOutcome.issue.severity.</summary>
public enum IssueSeverity
{
    /// <summary>fatal</summary>
    Fatal,

    /// <summary>error</summary>
    Error,

    /// <summary>warning</summary>
    Warning,

    /// <summary>information</summary>
    Information,
}

/// <summary>OperationOutcome.issue.code (http://hl7.org/fhir/issue-type), the subset the validator reports.</summary>
public enum IssueType
{
    /// <summary>invalid: content invalid against the specification.</summary>
    Invalid,

    /// <summary>structure: unknown element, wrong JSON shape, unparseable JSON.</summary>
    Structure,

    /// <summary>required: a required element is missing.</summary>
    Required,

    /// <summary>value: a primitive value has the wrong format.</summary>
    Value,

    /// <summary>invariant: a constraint (dom-2, dom-3, dom-4, ele-1, ext-1, ref-1…) failed.</summary>
    Invariant,

    /// <summary>code-invalid: a code is not in a required value set.</summary>
    CodeInvalid,

    /// <summary>not-supported: content the tables do not describe (a resource type outside Carevault's set).</summary>
    NotSupported,

    /// <summary>too-costly: a size, depth or issue-count limit was reached.</summary>
    TooCostly,
}

/// <summary>One validation finding.</summary>
/// <param name="Severity">Severity.</param>
/// <param name="Type">Issue type.</param>
/// <param name="Diagnostics">What is wrong, naming elements and rules — never the data values themselves.</param>
/// <param name="Location">FHIRPath of the offending element, e.g. <c>Patient.name[0].given[1]</c>.</param>
public sealed record ValidationIssue(IssueSeverity Severity, IssueType Type, string Diagnostics, string Location)
{
    /// <summary>The issue-type code as written in an OperationOutcome (<c>code-invalid</c>, …).</summary>
    public string Code => Type switch
    {
        IssueType.Invalid => "invalid",
        IssueType.Structure => "structure",
        IssueType.Required => "required",
        IssueType.Value => "value",
        IssueType.Invariant => "invariant",
        IssueType.CodeInvalid => "code-invalid",
        IssueType.NotSupported => "not-supported",
        _ => "too-costly",
    };

    /// <summary>The severity code as written in an OperationOutcome.</summary>
    public string SeverityCode => Severity switch
    {
        IssueSeverity.Fatal => "fatal",
        IssueSeverity.Error => "error",
        IssueSeverity.Warning => "warning",
        _ => "information",
    };

    /// <inheritdoc/>
    public override string ToString() => $"{SeverityCode} {Code} @ {Location}: {Diagnostics}";
}

/// <summary>The outcome of validating one resource.</summary>
public sealed class ValidationResult
{
    internal ValidationResult(IReadOnlyList<ValidationIssue> issues) => Issues = issues;

    /// <summary>All findings, in document order.</summary>
    public IReadOnlyList<ValidationIssue> Issues { get; }

    /// <summary>True when no issue is an error or fatal.</summary>
    public bool IsValid
    {
        get
        {
            foreach (var issue in Issues)
            {
                if (issue.Severity is IssueSeverity.Error or IssueSeverity.Fatal)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

/// <summary>Limits of one validation run; each guards against hostile or runaway input.</summary>
public sealed record FhirValidatorOptions
{
    /// <summary>Largest accepted document, in bytes (default 16 MiB).</summary>
    public long MaxBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Deepest JSON nesting (objects and arrays) accepted (default 64).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Issues reported before the validator stops (default 100).</summary>
    public int MaxIssues { get; init; } = 100;
}
