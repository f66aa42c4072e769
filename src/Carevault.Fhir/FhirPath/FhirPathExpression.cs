using System.Text.Json;
using Carevault.Fhir.Spec;

namespace Carevault.Fhir.FhirPath;

/// <summary>
/// A parsed expression in the FHIRPath subset used by the R4 search parameters: paths (with choice types),
/// <c>[n]</c>, <c>|</c>, <c>=</c> <c>!=</c> <c>and</c> <c>or</c> <c>xor</c> <c>implies</c> <c>&lt;</c> <c>&gt;</c>,
/// <c>is</c>/<c>as</c> and the functions where, exists, empty, not, first, last, single, count, ofType, as, is,
/// resolve, extension, hasValue, children.
/// </summary>
/// <remarks>
/// <c>resolve()</c> does not load anything: it yields the reference itself typed as the target resource type
/// (from <c>Type/id</c>, an absolute URL, a <c>#contained</c> id or <c>Reference.type</c>), so
/// <c>subject.where(resolve() is Patient)</c> acts as a reference-type filter, as search indexing needs.
/// </remarks>
public sealed class FhirPathExpression
{
    private static readonly JsonElement True = ParseLiteral("true");
    private static readonly JsonElement False = ParseLiteral("false");
    private static readonly JsonElement[] Integers = Enumerable.Range(0, 16).Select(i => ParseLiteral(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();

    private readonly PathExpr _root;

    private FhirPathExpression(string text, PathExpr root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The expression text.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FhirPathSyntaxException">Malformed or outside the subset.</exception>
    public static FhirPathExpression Parse(string text) => new(text, FhirPathParser.Parse(text));

    /// <summary>Evaluates the expression with a resource as context (its <c>resourceType</c> gives the type).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="spec">The spec tables (types of elements, for choice and <c>ofType</c>).</param>
    /// <param name="referenceTypeResolver">
    /// Optional: the resource type a reference string points at when its form does not say (e.g. <c>urn:uuid:</c>
    /// references inside a transaction, resolved through <c>Bundle.entry.fullUrl</c>); null when unknown.
    /// </param>
    public IReadOnlyList<FhirPathNode> Evaluate(JsonElement resource, FhirSpec spec, Func<string, string?>? referenceTypeResolver = null)
    {
        var root = ResourceNode(resource, spec);
        return new Evaluator(spec, root, referenceTypeResolver).Eval(_root, [root]);
    }

    /// <summary>Evaluates relative to a node (e.g. a composite search parameter component per base node).</summary>
    /// <param name="context">The focus.</param>
    /// <param name="resource">The resource the node belongs to (for <c>#contained</c> references).</param>
    /// <param name="spec">The spec tables.</param>
    /// <param name="referenceTypeResolver">See <see cref="Evaluate(JsonElement, FhirSpec, Func{string, string?})"/>.</param>
    public IReadOnlyList<FhirPathNode> Evaluate(FhirPathNode context, JsonElement resource, FhirSpec spec, Func<string, string?>? referenceTypeResolver = null) =>
        new Evaluator(spec, ResourceNode(resource, spec), referenceTypeResolver).Eval(_root, [context]);

    /// <inheritdoc/>
    public override string ToString() => Text;

    internal static FhirPathNode ResourceNode(JsonElement resource, FhirSpec spec)
    {
        string? type = resource.ValueKind == JsonValueKind.Object && resource.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String
            ? rt.GetString()
            : null;
        return new FhirPathNode(resource, type, type is null ? null : spec.FindType(type)?.Children);
    }

    private static JsonElement ParseLiteral(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static FhirPathNode Bool(bool value) => new(value ? True : False, "boolean", null);

    private static List<FhirPathNode> Single(FhirPathNode node) => [node];

    private sealed class Evaluator(FhirSpec spec, FhirPathNode resource, Func<string, string?>? referenceTypeResolver)
    {
        public List<FhirPathNode> Eval(PathExpr expr, List<FhirPathNode> focus)
        {
            switch (expr)
            {
                case IdentifierExpr id:
                    return Navigate(focus, id.Name, allowTypeName: true);
                case MemberExpr m:
                    return Navigate(Eval(m.Target, focus), m.Name, allowTypeName: false);
                case ThisExpr:
                    return focus;
                case LiteralExpr lit:
                    return Single(new FhirPathNode(lit.Value, lit.TypeName, null));
                case EmptyExpr:
                    return [];
                case IndexerExpr ix:
                    {
                        var items = Eval(ix.Target, focus);
                        var index = Eval(ix.Index, focus);
                        if (index.Count != 1 || !index[0].Value.TryGetInt32(out int i) || i < 0 || i >= items.Count)
                        {
                            return [];
                        }

                        return Single(items[i]);
                    }

                case TypeExpr t:
                    {
                        var items = Eval(t.Left, focus);
                        if (t.Op == "is")
                        {
                            return items.Count == 1 ? Single(Bool(IsType(items[0], t.TypeName))) : [];
                        }

                        return items.Where(n => IsType(n, t.TypeName)).ToList();
                    }

                case BinaryExpr b:
                    return EvalBinary(b, focus);
                case FunctionExpr f:
                    return EvalFunction(f, f.Target is null ? focus : Eval(f.Target, focus), focus);
                default:
                    throw new FhirPathSyntaxException("Unsupported expression node.");
            }
        }

        private List<FhirPathNode> EvalBinary(BinaryExpr b, List<FhirPathNode> focus)
        {
            var left = Eval(b.Left, focus);
            var right = Eval(b.Right, focus);
            switch (b.Op)
            {
                case "|":
                    {
                        var result = new List<FhirPathNode>(left.Count + right.Count);
                        foreach (var n in left.Concat(right))
                        {
                            if (!result.Contains(n))
                            {
                                result.Add(n);
                            }
                        }

                        return result;
                    }

                case "=":
                case "!=":
                case "~":
                case "!~":
                    {
                        if (left.Count == 0 || right.Count == 0)
                        {
                            return [];
                        }

                        bool equal = left.Count == right.Count && left.Zip(right).All(p => ValueEquals(p.First.Value, p.Second.Value));
                        return Single(Bool(b.Op is "=" or "~" ? equal : !equal));
                    }

                case "<":
                case ">":
                case "<=":
                case ">=":
                    {
                        if (left.Count != 1 || right.Count != 1)
                        {
                            return [];
                        }

                        int? cmp = Compare(left[0].Value, right[0].Value);
                        if (cmp is null)
                        {
                            return [];
                        }

                        return Single(Bool(b.Op switch { "<" => cmp < 0, ">" => cmp > 0, "<=" => cmp <= 0, _ => cmp >= 0 }));
                    }

                case "in":
                case "contains":
                    {
                        var (item, coll) = b.Op == "in" ? (left, right) : (right, left);
                        if (item.Count != 1)
                        {
                            return [];
                        }

                        return Single(Bool(coll.Exists(n => ValueEquals(n.Value, item[0].Value))));
                    }

                default:
                    {
                        bool? l = ToBool(left), r = ToBool(right);
                        bool? v = b.Op switch
                        {
                            "and" => l == false || r == false ? false : l == true && r == true ? true : null,
                            "or" => l == true || r == true ? true : l == false && r == false ? false : null,
                            "xor" => l is null || r is null ? null : l != r,
                            "implies" => l == false ? true : l == true ? r : (r == true ? true : null),
                            _ => throw new FhirPathSyntaxException("Unsupported operator."),
                        };
                        return v is null ? [] : Single(Bool(v.Value));
                    }
            }
        }

        private List<FhirPathNode> EvalFunction(FunctionExpr f, List<FhirPathNode> input, List<FhirPathNode> focus)
        {
            switch (f.Name)
            {
                case "where":
                    return input.Where(n => ToBool(Eval(f.Args[0], Single(n))) == true).ToList();
                case "exists":
                    return Single(Bool(f.Args.Count == 0 ? input.Count > 0 : input.Exists(n => ToBool(Eval(f.Args[0], Single(n))) == true)));
                case "empty":
                    return Single(Bool(input.Count == 0));
                case "not":
                    {
                        bool? v = ToBool(input);
                        return v is null ? [] : Single(Bool(!v.Value));
                    }

                case "hasValue":
                    return Single(Bool(input.Count == 1 && input[0].Value.ValueKind is not JsonValueKind.Object and not JsonValueKind.Array));
                case "first":
                    return input.Count == 0 ? [] : Single(input[0]);
                case "last":
                    return input.Count == 0 ? [] : Single(input[^1]);
                case "single":
                    return input.Count == 1 ? input : [];
                case "count":
                    return Single(input.Count < Integers.Length ? new FhirPathNode(Integers[input.Count], "integer", null) : new FhirPathNode(ParseLiteral(input.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)), "integer", null));
                case "ofType":
                case "as":
                    {
                        string type = TypeArgument(f);
                        return input.Where(n => IsType(n, type)).ToList();
                    }

                case "is":
                    return input.Count == 1 ? Single(Bool(IsType(input[0], TypeArgument(f)))) : [];
                case "resolve":
                    return input.SelectMany(Resolve).ToList();
                case "extension":
                    {
                        var url = Eval(f.Args[0], focus);
                        var ext = Navigate(input, "extension", allowTypeName: false);
                        return url.Count != 1
                            ? []
                            : ext.Where(e => e.Value.ValueKind == JsonValueKind.Object && e.Value.TryGetProperty("url", out var u) && ValueEquals(u, url[0].Value)).ToList();
                    }

                case "children":
                    {
                        var result = new List<FhirPathNode>();
                        foreach (var n in input)
                        {
                            if (n.Value.ValueKind == JsonValueKind.Object)
                            {
                                foreach (var p in n.Value.EnumerateObject())
                                {
                                    if (p.Name != "resourceType" && !p.Name.StartsWith('_'))
                                    {
                                        result.AddRange(Navigate(Single(n), p.Name, allowTypeName: false));
                                    }
                                }
                            }
                        }

                        return result;
                    }

                default:
                    throw new FhirPathSyntaxException($"Function '{f.Name}' is not in the supported FHIRPath subset.");
            }
        }

        private static string TypeArgument(FunctionExpr f) => f.Args.Count == 1
            ? f.Args[0] switch
            {
                IdentifierExpr id => id.Name,
                MemberExpr m => m.Name, // FHIR.Quantity
                _ => throw new FhirPathSyntaxException($"'{f.Name}' needs a type name."),
            }
            : throw new FhirPathSyntaxException($"'{f.Name}' needs one argument.");

        private List<FhirPathNode> Navigate(List<FhirPathNode> focus, string name, bool allowTypeName)
        {
            var result = new List<FhirPathNode>();
            foreach (var node in focus)
            {
                // A leading type name selects the context itself when it is of that type (FHIRPath N1 §4.1).
                if (allowTypeName && char.IsUpper(name[0]))
                {
                    if (IsType(node, name))
                    {
                        result.Add(node);
                    }

                    continue;
                }

                if (node.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (node.Value.TryGetProperty(name, out var value))
                {
                    FhirChild? child = node.Children?.GetValueOrDefault(name);
                    AddValues(result, value, child);
                    continue;
                }

                // Choice element: `value` selects valueQuantity, valueString… whichever is present.
                foreach (var p in node.Value.EnumerateObject())
                {
                    if (p.Name.Length > name.Length && p.Name.StartsWith(name, StringComparison.Ordinal) && char.IsUpper(p.Name[name.Length]))
                    {
                        FhirChild? child = node.Children?.GetValueOrDefault(p.Name);
                        if (child is not null && child.Element.Name != name + "[x]")
                        {
                            continue;
                        }

                        string typeName = child?.Type.Code ?? GuessChoiceType(p.Name[name.Length..]);
                        AddValues(result, p.Value, child, typeName);
                    }
                }
            }

            return result;
        }

        private void AddValues(List<FhirPathNode> result, JsonElement value, FhirChild? child, string? typeName = null)
        {
            typeName ??= child?.Type.Code;
            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    AddValue(result, item, child, typeName);
                }
            }
            else
            {
                AddValue(result, value, child, typeName);
            }
        }

        private void AddValue(List<FhirPathNode> result, JsonElement value, FhirChild? child, string? typeName)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return;
            }

            if (typeName == "Resource" || (typeName is null && value.ValueKind == JsonValueKind.Object && value.TryGetProperty("resourceType", out _)))
            {
                result.Add(ResourceNode(value, spec));
                return;
            }

            var children = child is null ? null : spec.ChildrenOf(child);
            if (children is null && typeName is not null && !FhirSpec.IsPrimitiveType(typeName))
            {
                children = spec.FindType(typeName)?.Children;
            }

            result.Add(new FhirPathNode(value, typeName, children));
        }

        private static string GuessChoiceType(string suffix) =>
            FhirSpec.IsPrimitiveType(char.ToLowerInvariant(suffix[0]) + suffix[1..]) ? char.ToLowerInvariant(suffix[0]) + suffix[1..] : suffix;

        private IEnumerable<FhirPathNode> Resolve(FhirPathNode node)
        {
            if (node.Value.ValueKind != JsonValueKind.Object)
            {
                yield break;
            }

            string? reference = node.Value.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            string? type = null;
            if (reference is not null && reference.StartsWith('#'))
            {
                if (resource.Value.ValueKind == JsonValueKind.Object && resource.Value.TryGetProperty("contained", out var contained) && contained.ValueKind == JsonValueKind.Array)
                {
                    foreach (var c in contained.EnumerateArray())
                    {
                        if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == reference[1..])
                        {
                            yield return ResourceNode(c, spec);
                            yield break;
                        }
                    }
                }

                yield break;
            }

            if (reference is not null)
            {
                type = FhirReference.TryParse(reference, out var parsed) ? parsed.ResourceType : null;
                type ??= referenceTypeResolver?.Invoke(reference);
            }

            if (type is null && node.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
            {
                type = t.GetString();
            }

            if (type is not null && spec.IsKnownResourceType(type))
            {
                yield return new FhirPathNode(node.Value, type, null);
            }
        }

        private bool IsType(FhirPathNode node, string typeName)
        {
            if (node.TypeName is null)
            {
                return false;
            }

            if (string.Equals(node.TypeName, typeName, StringComparison.OrdinalIgnoreCase))
            {
                return true; // System.DateTime / FHIR.dateTime, System.String / FHIR.string
            }

            if (typeName is "Resource" or "DomainResource")
            {
                return spec.IsKnownResourceType(node.TypeName);
            }

            for (var t = spec.FindType(node.TypeName); t?.BaseName is not null; t = spec.FindType(t.BaseName))
            {
                if (t.BaseName == typeName)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool? ToBool(List<FhirPathNode> items)
        {
            if (items.Count == 0)
            {
                return null;
            }

            if (items.Count == 1 && items[0].Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return items[0].Value.ValueKind == JsonValueKind.True;
            }

            return true; // FHIRPath §4.5: a non-boolean singleton is true in a boolean context.
        }

        private static bool ValueEquals(JsonElement a, JsonElement b)
        {
            if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
            {
                return a.GetDecimal() == b.GetDecimal();
            }

            return JsonElement.DeepEquals(a, b);
        }

        private static int? Compare(JsonElement a, JsonElement b)
        {
            if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
            {
                return a.GetDecimal().CompareTo(b.GetDecimal());
            }

            if (a.ValueKind == JsonValueKind.String && b.ValueKind == JsonValueKind.String)
            {
                return string.CompareOrdinal(a.GetString(), b.GetString());
            }

            return null;
        }
    }
}
