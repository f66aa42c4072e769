using System.Globalization;
using System.Text.Json;
using Carevault.Fhir.Generated;
using Carevault.Fhir.Spec;

namespace Carevault.Fhir.Validation;

/// <summary>
/// Validates a FHIR R4 resource in JSON form against the generated spec tables: unknown elements, cardinality and
/// array-ness, primitive formats (the spec's regexes), required bindings, reference forms and target types,
/// contained-resource invariants (dom-2/3/4, ref-1), choice types, <c>_element</c> siblings and <c>resourceType</c>.
/// Resources inside Bundle entries and contained resources are validated recursively.
/// </summary>
/// <remarks>
/// Not covered: FHIRPath invariants other than those named above, profiles (meta.profile is not followed),
/// non-required bindings, XHTML content rules beyond "starts with a div", Bundle-level rules (fullUrl uniqueness,
/// urn:uuid resolution). Resource types outside the generated set are reported as information and not walked.
/// Diagnostics name elements and rules, never the values found, since those may be patient data.
/// </remarks>
public sealed class FhirValidator(FhirSpec spec, FhirValidatorOptions? options = null)
{
    private const string ContainedPath = "DomainResource.contained";
    private readonly FhirSpec _spec = spec;
    private readonly FhirValidatorOptions _options = options ?? new FhirValidatorOptions();

    /// <summary>Validates UTF-8 JSON bytes. A leading BOM is reported, not skipped (see <see cref="FhirJson.SkipUtf8Bom"/>).</summary>
    public ValidationResult Validate(ReadOnlyMemory<byte> utf8Json)
    {
        var run = new Run(this);
        if (utf8Json.Length > _options.MaxBytes)
        {
            run.Add(IssueSeverity.Fatal, IssueType.TooCostly, $"Resource is larger than the {_options.MaxBytes}-byte limit.", string.Empty);
            return run.Result();
        }

        if (FhirJson.HasUtf8Bom(utf8Json.Span))
        {
            run.Add(IssueSeverity.Fatal, IssueType.Structure, "JSON starts with a UTF-8 byte order mark; the caller must remove it (FhirJson.SkipUtf8Bom).", string.Empty);
            return run.Result();
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8Json.Span))
        {
            run.Add(IssueSeverity.Fatal, IssueType.Structure, "The content is not valid UTF-8.", string.Empty);
            return run.Result();
        }

        JsonDocument document;
        try
        {
            // One level of slack so that the walker can name the location that is too deep.
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = _options.MaxDepth + 1 });
        }
        catch (JsonException ex)
        {
            // The exception message may quote the offending token: report only its position.
            bool depth = ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            run.Add(IssueSeverity.Fatal, depth ? IssueType.TooCostly : IssueType.Structure,
                depth
                    ? $"JSON is nested deeper than the limit of {_options.MaxDepth}."
                    : string.Create(CultureInfo.InvariantCulture, $"Invalid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}."),
                string.Empty);
            return run.Result();
        }

        using (document)
        {
            return Validate(document.RootElement);
        }
    }

    /// <summary>Validates a parsed resource.</summary>
    public ValidationResult Validate(JsonElement resource)
    {
        var run = new Run(this);
        try
        {
            run.ValidateResource(resource, null, null, 1);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.Text.DecoderFallbackException or null)
        {
            // JsonElement.GetString throws when a string holds an unpaired surrogate escape (\uD800) or invalid UTF-8.
            run.Add(IssueSeverity.Fatal, IssueType.Structure, "A JSON string holds invalid UTF-8 or an unpaired surrogate escape.", string.Empty);
        }

        return run.Result();
    }

    private sealed class ResourceScope
    {
        public List<(string Id, string Type, string Location)> Contained { get; } = [];

        public List<(string Id, IReadOnlyList<string> Targets, string Location)> LocalReferences { get; } = [];
    }

    private sealed class Run(FhirValidator owner)
    {
        private readonly List<ValidationIssue> _issues = [];
        private readonly FhirSpec _spec = owner._spec;
        private readonly FhirValidatorOptions _options = owner._options;

        public ValidationResult Result() => new(_issues);

        public void Add(IssueSeverity severity, IssueType type, string diagnostics, string location)
        {
            if (_issues.Count < _options.MaxIssues)
            {
                _issues.Add(new ValidationIssue(severity, type, diagnostics, location));
            }
            else if (_issues.Count == _options.MaxIssues)
            {
                _issues.Add(new ValidationIssue(IssueSeverity.Warning, IssueType.TooCostly, $"More than {_options.MaxIssues} issues; the rest are not reported.", location));
            }
        }

        private void Error(IssueType type, string diagnostics, string location) => Add(IssueSeverity.Error, type, diagnostics, location);

        /// <param name="path">Location of the resource (null for the root: the path then starts at its type name).</param>
        /// <param name="containerScope">The container's scope for a contained resource, otherwise null.</param>
        public void ValidateResource(JsonElement resource, string? path, ResourceScope? containerScope, int depth)
        {
            string typeLocation = path is null ? "resourceType" : path + ".resourceType";
            if (resource.ValueKind != JsonValueKind.Object)
            {
                Error(IssueType.Structure, "A resource must be a JSON object.", path ?? string.Empty);
                return;
            }

            if (!resource.TryGetProperty("resourceType", out var rt))
            {
                Error(IssueType.Required, "resourceType is missing.", typeLocation);
                return;
            }

            if (rt.ValueKind != JsonValueKind.String || rt.GetString() is not { Length: > 0 } typeName)
            {
                Error(IssueType.Invalid, "resourceType must be a non-empty string naming an R4 resource type.", typeLocation);
                return;
            }

            if (!_spec.IsKnownResourceType(typeName))
            {
                Error(IssueType.Invalid, "resourceType is not an R4 resource type.", typeLocation);
                return;
            }

            path ??= typeName;
            if (containerScope is not null)
            {
                CheckContained(resource, typeName, path, containerScope);
            }

            var type = _spec.FindType(typeName);
            if (type is null)
            {
                Add(IssueSeverity.Information, IssueType.NotSupported, $"{typeName} is not in Carevault's validation tables; its content was not checked.", path);
                return;
            }

            var scope = containerScope ?? new ResourceScope();

            WalkObject(resource, type.Children, typeName, path, depth, scope, isResource: true);
            if (containerScope is null)
            {
                CheckLocalReferences(scope);
            }
        }

        // FHIR R4 §2.4 (DomainResource invariants): dom-2 no nested contained, dom-4 no versionId/lastUpdated.
        private void CheckContained(JsonElement resource, string typeName, string path, ResourceScope scope)
        {
            if (resource.TryGetProperty("contained", out _))
            {
                Error(IssueType.Invariant, "dom-2: a contained resource must not contain resources.", path + ".contained");
            }

            if (resource.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                if (meta.TryGetProperty("versionId", out _))
                {
                    Error(IssueType.Invariant, "dom-4: a contained resource must not have meta.versionId.", path + ".meta.versionId");
                }

                if (meta.TryGetProperty("lastUpdated", out _))
                {
                    Error(IssueType.Invariant, "dom-4: a contained resource must not have meta.lastUpdated.", path + ".meta.lastUpdated");
                }
            }

            if (resource.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                scope.Contained.Add((id.GetString()!, typeName, path));
            }
            else
            {
                Error(IssueType.Invariant, "dom-3: a contained resource needs an id to be referenced.", path);
            }
        }

        // dom-3: every contained resource is referenced from elsewhere in the resource (or references the container, "#");
        // ref-1: a local reference resolves to a contained resource.
        private void CheckLocalReferences(ResourceScope scope)
        {
            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, targets, location) in scope.LocalReferences)
            {
                referenced.Add(id);
                if (id.Length == 0)
                {
                    continue; // "#" is the container itself
                }

                int match = scope.Contained.FindIndex(c => c.Id == id);
                if (match < 0)
                {
                    Error(IssueType.Invariant, "ref-1: the local reference does not resolve to a contained resource.", location);
                }
                else if (targets.Count > 0 && !targets.Contains(scope.Contained[match].Type))
                {
                    Error(IssueType.Structure, $"A contained {scope.Contained[match].Type} is not an allowed target ({string.Join(", ", targets)}).", location);
                }
            }

            foreach (var (id, _, location) in scope.Contained)
            {
                if (!referenced.Contains(id) && !referenced.Contains(string.Empty))
                {
                    Error(IssueType.Invariant, "dom-3: the contained resource is not referenced from the containing resource.", location);
                }
            }
        }

        private void WalkObject(JsonElement obj, IReadOnlyDictionary<string, FhirChild> children, string typeName, string path, int depth, ResourceScope scope, bool isResource)
        {
            if (depth > _options.MaxDepth)
            {
                Add(IssueSeverity.Fatal, IssueType.TooCostly, $"Nesting deeper than the limit of {_options.MaxDepth}.", path);
                return;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var present = new HashSet<FhirElementDefinition>();
            var choices = new Dictionary<FhirElementDefinition, string>();
            bool any = false;
            foreach (var prop in obj.EnumerateObject())
            {
                string name = prop.Name;
                if (!seen.Add(name))
                {
                    Error(IssueType.Structure, "Duplicate JSON property.", path + "." + Clip(name));
                    continue;
                }

                if (isResource && name == "resourceType")
                {
                    continue;
                }

                any = true;
                if (name.Length > 1 && name[0] == '_')
                {
                    string baseName = name[1..];
                    if (!children.TryGetValue(baseName, out var primitiveChild) || !FhirSpec.IsPrimitiveType(primitiveChild.Type.Code))
                    {
                        Error(IssueType.Structure, "Unknown element.", path + "." + Clip(name));
                        continue;
                    }

                    present.Add(primitiveChild.Element);
                    ValidatePrimitiveSiblings(obj, prop.Value, primitiveChild, ChildPath(path, primitiveChild), depth, scope);
                    continue;
                }

                if (!children.TryGetValue(name, out var child))
                {
                    Error(IssueType.Structure, "Unknown element.", path + "." + Clip(name));
                    continue;
                }

                var element = child.Element;
                if (element.IsChoice && choices.TryGetValue(element, out var other) && other != name)
                {
                    Error(IssueType.Structure, $"Only one of the choices of {element.Name} may be present.", ChildPath(path, child));
                    continue;
                }

                choices[element] = name;
                present.Add(element);
                ValidateProperty(obj, prop.Value, child, ChildPath(path, child), depth, scope);
            }

            if (!any && !isResource)
            {
                Error(IssueType.Invariant, "ele-1: an element must have a value or children.", path);
                return;
            }

            foreach (var child in children.Values)
            {
                var element = child.Element;
                if (element.Min > 0 && !present.Contains(element) && (!element.IsChoice || child.Type == element.Types[0]))
                {
                    Error(IssueType.Required, $"{element.Name} is required (min {element.Min}).", path + "." + (element.IsChoice ? element.Name[..^3] : element.Name));
                    present.Add(element);
                }
            }

            // ext-1: an extension has either nested extensions or a value, not both (and not neither).
            if (typeName == "Extension")
            {
                bool hasValue = false;
                foreach (var e in present)
                {
                    hasValue |= e.IsChoice;
                }

                bool hasExtension = obj.TryGetProperty("extension", out _);
                if (hasValue == hasExtension)
                {
                    Error(IssueType.Invariant, "ext-1: an extension must have either extensions or value[x], not both.", path);
                }
            }
        }

        private static string ChildPath(string parent, FhirChild child) =>
            child.Element.IsChoice ? $"{parent}.{child.Element.Name[..^3]}.ofType({child.Type.Code})" : parent + "." + child.JsonName;

        private static string Clip(string name) => name.Length <= 64 ? name : name[..64] + "…";

        private void ValidateProperty(JsonElement parent, JsonElement value, FhirChild child, string path, int depth, ResourceScope scope)
        {
            var element = child.Element;
            if (element.IsArray)
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Error(IssueType.Structure, $"{element.Name} repeats (max {element.Max}) and must be a JSON array.", path);
                    return;
                }

                int count = value.GetArrayLength();
                if (count == 0)
                {
                    Error(IssueType.Structure, "Arrays must not be empty.", path);
                    return;
                }

                if (count > element.MaxCount)
                {
                    Error(IssueType.Structure, $"{element.Name} has {count} items; max is {element.Max}.", path);
                }

                if (count < element.Min)
                {
                    Error(IssueType.Required, $"{element.Name} has {count} items; min is {element.Min}.", path);
                }

                if (depth + 1 > _options.MaxDepth)
                {
                    Add(IssueSeverity.Fatal, IssueType.TooCostly, $"Nesting deeper than the limit of {_options.MaxDepth}.", path);
                    return;
                }

                JsonElement siblings = default;
                bool hasSiblings = FhirSpec.IsPrimitiveType(child.Type.Code)
                    && parent.TryGetProperty("_" + child.JsonName, out siblings) && siblings.ValueKind == JsonValueKind.Array;
                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    string itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
                    if (item.ValueKind == JsonValueKind.Null)
                    {
                        // A null keeps arrays aligned with the _name array (FHIR R4 JSON §2.6.2.2) and needs a sibling there.
                        if (!hasSiblings || i >= siblings.GetArrayLength() || siblings[i].ValueKind == JsonValueKind.Null)
                        {
                            Error(IssueType.Structure, "null is allowed only where the matching _element item is present.", itemPath);
                        }
                    }
                    else
                    {
                        ValidateValue(item, child, itemPath, depth + 1, scope);
                    }

                    i++;
                }
            }
            else if (value.ValueKind == JsonValueKind.Array)
            {
                Error(IssueType.Structure, $"{element.Name} does not repeat (max 1) and must not be a JSON array.", path);
            }
            else if (value.ValueKind == JsonValueKind.Null)
            {
                Error(IssueType.Structure, "null is not a valid value.", path);
            }
            else
            {
                ValidateValue(value, child, path, depth, scope);
            }
        }

        private void ValidateValue(JsonElement value, FhirChild child, string path, int depth, ResourceScope scope)
        {
            string typeCode = child.Type.Code;
            if (FhirSpec.IsPrimitiveType(typeCode))
            {
                if (typeCode == "canonical" && value.ValueKind == JsonValueKind.String && value.GetString() is ['#', .. var localId])
                {
                    // dom-3 counts canonical references to contained resources (e.g. answerValueSet "#vs1") too.
                    scope.LocalReferences.Add((localId, [], path));
                }

                if (ValidatePrimitive(value, typeCode, path) && child.Element.ValueSetKey is { } key && value.ValueKind == JsonValueKind.String
                    && _spec.FindValueSet(key) is { } vs && !vs.ContainsCode(value.GetString()!))
                {
                    Error(IssueType.CodeInvalid, $"The code is not in the required value set {vs.Url}.", path);
                }

                return;
            }

            if (typeCode == "Resource")
            {
                ValidateResource(value, path, child.Element.Path == ContainedPath ? scope : null, depth + 1);
                return;
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                Error(IssueType.Structure, $"{child.Element.Name} is a {typeCode} and must be a JSON object.", path);
                return;
            }

            var children = _spec.ChildrenOf(child);
            if (children is null)
            {
                return;
            }

            WalkObject(value, children, typeCode, path, depth + 1, scope, isResource: false);
            if (child.Element.ValueSetKey is { } bindingKey && _spec.FindValueSet(bindingKey) is { } valueSet)
            {
                CheckCodedBinding(value, typeCode, valueSet, path);
            }

            if (typeCode == "Reference")
            {
                CheckReference(value, child.Type.TargetTypes, path, scope);
            }
        }

        // Required binding on Coding / CodeableConcept: the coding (or one of the codings) is in the value set.
        private void CheckCodedBinding(JsonElement value, string typeCode, FhirValueSet valueSet, string path)
        {
            static bool CodingMatches(JsonElement coding, FhirValueSet vs)
            {
                if (coding.ValueKind != JsonValueKind.Object || !coding.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                return coding.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.String
                    ? vs.Contains(system.GetString()!, code.GetString()!)
                    : vs.ContainsCode(code.GetString()!);
            }

            bool ok;
            if (typeCode == "Coding")
            {
                ok = !value.TryGetProperty("code", out _) || CodingMatches(value, valueSet);
            }
            else if (typeCode == "CodeableConcept")
            {
                ok = false;
                if (value.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
                {
                    foreach (var coding in codings.EnumerateArray())
                    {
                        ok |= CodingMatches(coding, valueSet);
                    }
                }
            }
            else
            {
                return;
            }

            if (!ok)
            {
                Error(IssueType.CodeInvalid, $"No coding is in the required value set {valueSet.Url}.", path);
            }
        }

        private void CheckReference(JsonElement value, IReadOnlyList<string> targets, string path, ResourceScope scope)
        {
            if (value.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String)
            {
                string declared = typeElement.GetString()!;
                if (_spec.IsKnownResourceType(declared) && targets.Count > 0 && !targets.Contains(declared))
                {
                    Error(IssueType.Structure, $"Reference.type {declared} is not an allowed target ({string.Join(", ", targets)}).", path + ".type");
                }
            }

            if (!value.TryGetProperty("reference", out var refElement) || refElement.ValueKind != JsonValueKind.String)
            {
                return;
            }

            string location = path + ".reference";
            string reference = refElement.GetString()!;
            if (!FhirReference.TryParse(reference, out var parsed))
            {
                Error(IssueType.Value, "The reference is neither Type/id, an absolute URL, urn:uuid:, urn:oid: nor #id.", location);
                return;
            }

            if (parsed.Kind == FhirReferenceKind.Contained)
            {
                scope.LocalReferences.Add((parsed.Id!, targets, location));
                return;
            }

            if (parsed.ResourceType is not { } type)
            {
                return;
            }

            if (!_spec.IsKnownResourceType(type))
            {
                if (parsed.Kind != FhirReferenceKind.Absolute)
                {
                    Error(IssueType.Value, "The reference does not name an R4 resource type.", location);
                }

                return;
            }

            if (targets.Count > 0 && !targets.Contains(type))
            {
                Error(IssueType.Structure, $"A reference to {type} is not allowed here (allowed: {string.Join(", ", targets)}).", location);
            }
        }

        // The _name sibling of a primitive (FHIR R4 JSON §2.6.2.2): an object (or array of objects/nulls) with id/extension.
        private void ValidatePrimitiveSiblings(JsonElement parent, JsonElement value, FhirChild child, string path, int depth, ResourceScope scope)
        {
            var elementChildren = _spec.FindType("Element")!.Children;
            if (child.Element.IsArray)
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Error(IssueType.Structure, $"_{child.JsonName} must be an array like {child.JsonName}.", path);
                    return;
                }

                if (parent.TryGetProperty(child.JsonName, out var main) && main.ValueKind == JsonValueKind.Array && main.GetArrayLength() != value.GetArrayLength())
                {
                    Error(IssueType.Structure, $"_{child.JsonName} must have as many items as {child.JsonName}.", path);
                }

                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    string itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]");
                    if (item.ValueKind == JsonValueKind.Object)
                    {
                        WalkObject(item, elementChildren, "Element", itemPath, depth + 2, scope, isResource: false);
                    }
                    else if (item.ValueKind != JsonValueKind.Null)
                    {
                        Error(IssueType.Structure, "Primitive extension items must be objects or null.", itemPath);
                    }
                }
            }
            else if (value.ValueKind == JsonValueKind.Object)
            {
                WalkObject(value, elementChildren, "Element", path, depth + 1, scope, isResource: false);
            }
            else
            {
                Error(IssueType.Structure, $"_{child.JsonName} must be a JSON object.", path);
            }
        }

        /// <returns>True when the value is well-formed (so a binding check makes sense).</returns>
        private bool ValidatePrimitive(JsonElement value, string type, string path)
        {
            switch (type)
            {
                case "boolean":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        Error(IssueType.Value, "A boolean must be JSON true or false.", path);
                        return false;
                    }

                    return true;
                case "integer":
                case "positiveInt":
                case "unsignedInt":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n)
                        || !PrimitiveRegexes.Integer().IsMatch(value.GetRawText()) || (type == "positiveInt" && n < 1) || (type == "unsignedInt" && n < 0))
                    {
                        Error(IssueType.Value, $"The value is not a valid {type} (a JSON number in range, without fraction).", path);
                        return false;
                    }

                    return true;
                case "decimal":
                    if (value.ValueKind != JsonValueKind.Number || !PrimitiveRegexes.Decimal().IsMatch(value.GetRawText()))
                    {
                        Error(IssueType.Value, "A decimal must be a JSON number.", path);
                        return false;
                    }

                    return true;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                Error(IssueType.Value, $"A {type} must be a JSON string.", path);
                return false;
            }

            string s = value.GetString()!;
            if (s.Length == 0)
            {
                Error(IssueType.Value, "Empty strings are not allowed; omit the element instead.", path);
                return false;
            }

            bool ok = type switch
            {
                "string" or "markdown" => s.Length <= 1048576 && !HasControlCharacters(s),
                "code" => PrimitiveRegexes.Code().IsMatch(s),
                "id" => PrimitiveRegexes.Id().IsMatch(s),
                "uri" or "url" or "canonical" => PrimitiveRegexes.Uri().IsMatch(s),
                "oid" => PrimitiveRegexes.Oid().IsMatch(s),
                "uuid" => PrimitiveRegexes.Uuid().IsMatch(s),
                "date" => PrimitiveRegexes.Date().IsMatch(s) && IsRealDate(s),
                "dateTime" => PrimitiveRegexes.DateTime().IsMatch(s) && IsRealDate(s),
                "instant" => PrimitiveRegexes.Instant().IsMatch(s) && IsRealDate(s),
                "time" => PrimitiveRegexes.Time().IsMatch(s),
                "base64Binary" => IsBase64(s),
                "xhtml" => s.AsSpan().TrimStart().StartsWith("<div", StringComparison.Ordinal),
                _ => true,
            };
            if (!ok)
            {
                Error(IssueType.Value, $"The value is not a valid {type}.", path);
            }

            return ok;
        }

        // R4 datatypes §2.24.0.1 string: no characters below U+0020 except tab, CR and LF.
        private static bool HasControlCharacters(string s)
        {
            foreach (char c in s)
            {
                if (c < ' ' && c is not ('\t' or '\r' or '\n'))
                {
                    return true;
                }
            }

            return false;
        }

        // "Dates SHALL be valid dates" (R4 datatypes §2.24.0.1): the regex lets 2019-02-31 through.
        private static bool IsRealDate(string s) =>
            s.Length < 10 || DateOnly.TryParseExact(s.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

        // Hand-written rather than the spec's (\s*([0-9a-zA-Z\+/=]){4}\s*)+ which backtracks badly on large invalid input.
        private static bool IsBase64(string s)
        {
            int count = 0;
            foreach (char c in s)
            {
                if (char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')
                {
                    count++;
                }
                else if (!char.IsWhiteSpace(c))
                {
                    return false;
                }
            }

            return count % 4 == 0;
        }
    }
}
