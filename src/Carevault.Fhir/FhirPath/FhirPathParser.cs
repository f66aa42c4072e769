using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Carevault.Fhir.FhirPath;

internal abstract record PathExpr;

internal sealed record IdentifierExpr(string Name) : PathExpr;

internal sealed record ThisExpr : PathExpr;

internal sealed record LiteralExpr(JsonElement Value, string TypeName) : PathExpr;

internal sealed record EmptyExpr : PathExpr;

internal sealed record MemberExpr(PathExpr Target, string Name) : PathExpr;

internal sealed record FunctionExpr(PathExpr? Target, string Name, IReadOnlyList<PathExpr> Args) : PathExpr;

internal sealed record IndexerExpr(PathExpr Target, PathExpr Index) : PathExpr;

internal sealed record BinaryExpr(string Op, PathExpr Left, PathExpr Right) : PathExpr;

internal sealed record TypeExpr(string Op, PathExpr Left, string TypeName) : PathExpr;

/// <summary>Recursive-descent parser for the FHIRPath subset (precedence as in FHIRPath N1 §6).</summary>
internal sealed class FhirPathParser
{
    private readonly List<Token> _tokens;
    private int _pos;

    private FhirPathParser(List<Token> tokens) => _tokens = tokens;

    private enum TokenKind
    {
        Identifier,
        String,
        Number,
        Symbol,
        End,
    }

    public static PathExpr Parse(string text)
    {
        var parser = new FhirPathParser(Tokenize(text));
        var expr = parser.ParseImplies();
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw new FhirPathSyntaxException($"Unexpected '{parser.Peek.Text}' at {parser.Peek.Position}.");
        }

        return expr;
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private bool AcceptSymbol(string symbol)
    {
        if (Peek.Kind == TokenKind.Symbol && Peek.Text == symbol)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private bool AcceptKeyword(string keyword)
    {
        if (Peek.Kind == TokenKind.Identifier && !Peek.Quoted && Peek.Text == keyword)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(string symbol)
    {
        if (!AcceptSymbol(symbol))
        {
            throw new FhirPathSyntaxException($"Expected '{symbol}' at {Peek.Position}.");
        }
    }

    private PathExpr ParseImplies()
    {
        var left = ParseOr();
        while (AcceptKeyword("implies"))
        {
            left = new BinaryExpr("implies", left, ParseOr());
        }

        return left;
    }

    private PathExpr ParseOr()
    {
        var left = ParseAnd();
        while (true)
        {
            if (AcceptKeyword("or"))
            {
                left = new BinaryExpr("or", left, ParseAnd());
            }
            else if (AcceptKeyword("xor"))
            {
                left = new BinaryExpr("xor", left, ParseAnd());
            }
            else
            {
                return left;
            }
        }
    }

    private PathExpr ParseAnd()
    {
        var left = ParseMembership();
        while (AcceptKeyword("and"))
        {
            left = new BinaryExpr("and", left, ParseMembership());
        }

        return left;
    }

    private PathExpr ParseMembership()
    {
        var left = ParseEquality();
        while (true)
        {
            if (AcceptKeyword("in"))
            {
                left = new BinaryExpr("in", left, ParseEquality());
            }
            else if (AcceptKeyword("contains"))
            {
                left = new BinaryExpr("contains", left, ParseEquality());
            }
            else
            {
                return left;
            }
        }
    }

    private PathExpr ParseEquality()
    {
        var left = ParseComparison();
        while (Peek.Kind == TokenKind.Symbol && Peek.Text is "=" or "!=" or "~" or "!~")
        {
            string op = Next().Text;
            left = new BinaryExpr(op, left, ParseComparison());
        }

        return left;
    }

    private PathExpr ParseComparison()
    {
        var left = ParseUnion();
        while (Peek.Kind == TokenKind.Symbol && Peek.Text is "<" or ">" or "<=" or ">=")
        {
            string op = Next().Text;
            left = new BinaryExpr(op, left, ParseUnion());
        }

        return left;
    }

    private PathExpr ParseUnion()
    {
        var left = ParseTypeOp();
        while (AcceptSymbol("|"))
        {
            left = new BinaryExpr("|", left, ParseTypeOp());
        }

        return left;
    }

    private PathExpr ParseTypeOp()
    {
        var left = ParsePostfix(ParseTerm());
        while (true)
        {
            if (AcceptKeyword("is"))
            {
                left = new TypeExpr("is", left, ParseTypeSpecifier());
            }
            else if (AcceptKeyword("as"))
            {
                left = new TypeExpr("as", left, ParseTypeSpecifier());
            }
            else
            {
                return left;
            }
        }
    }

    private string ParseTypeSpecifier()
    {
        var first = Next();
        if (first.Kind != TokenKind.Identifier)
        {
            throw new FhirPathSyntaxException($"Expected a type name at {first.Position}.");
        }

        string name = first.Text;
        while (Peek.Kind == TokenKind.Symbol && Peek.Text == "." && _tokens[_pos + 1].Kind == TokenKind.Identifier)
        {
            _pos++;
            name = Next().Text; // FHIR.Patient / System.String: the namespace is dropped.
        }

        return name;
    }

    private PathExpr ParseTerm()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.String:
                return Literal(JsonSerializer.SerializeToUtf8Bytes(token.Text), "string");
            case TokenKind.Number:
                return Literal(Encoding.UTF8.GetBytes(token.Text), token.Text.Contains('.', StringComparison.Ordinal) ? "decimal" : "integer");
            case TokenKind.Identifier when !token.Quoted && token.Text is "true" or "false":
                return Literal(Encoding.UTF8.GetBytes(token.Text), "boolean");
            case TokenKind.Identifier when !token.Quoted && token.Text == "$this":
                return new ThisExpr();
            case TokenKind.Identifier:
                if (Peek.Kind == TokenKind.Symbol && Peek.Text == "(")
                {
                    return new FunctionExpr(null, token.Text, ParseArgs());
                }

                return new IdentifierExpr(token.Text);
            case TokenKind.Symbol when token.Text == "(":
                var inner = ParseImplies();
                Expect(")");
                return inner;
            case TokenKind.Symbol when token.Text == "{":
                Expect("}");
                return new EmptyExpr();
            default:
                throw new FhirPathSyntaxException($"Unexpected '{token.Text}' at {token.Position}.");
        }
    }

    private static LiteralExpr Literal(byte[] json, string typeName)
    {
        using var doc = JsonDocument.Parse(json);
        return new LiteralExpr(doc.RootElement.Clone(), typeName);
    }

    private PathExpr ParsePostfix(PathExpr expr)
    {
        while (true)
        {
            if (AcceptSymbol("."))
            {
                var name = Next();
                if (name.Kind != TokenKind.Identifier)
                {
                    throw new FhirPathSyntaxException($"Expected a name at {name.Position}.");
                }

                expr = Peek.Kind == TokenKind.Symbol && Peek.Text == "("
                    ? new FunctionExpr(expr, name.Text, ParseArgs())
                    : new MemberExpr(expr, name.Text);
            }
            else if (AcceptSymbol("["))
            {
                var index = ParseImplies();
                Expect("]");
                expr = new IndexerExpr(expr, index);
            }
            else
            {
                return expr;
            }
        }
    }

    private List<PathExpr> ParseArgs()
    {
        Expect("(");
        var args = new List<PathExpr>();
        if (AcceptSymbol(")"))
        {
            return args;
        }

        do
        {
            // Type arguments (ofType(Quantity), as(FHIR.string)) parse as identifiers; the evaluator reads the name.
            args.Add(ParseImplies());
        }
        while (AcceptSymbol(","));
        Expect(")");
        return args;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_' || c == '$' || c == '%')
            {
                int start = i++;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], start, false));
            }
            else if (c == '`')
            {
                int end = text.IndexOf('`', i + 1);
                if (end < 0)
                {
                    throw new FhirPathSyntaxException($"Unterminated identifier at {i}.");
                }

                tokens.Add(new Token(TokenKind.Identifier, text[(i + 1)..end], i, true));
                i = end + 1;
            }
            else if (c == '\'')
            {
                var sb = new StringBuilder();
                int start = i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FhirPathSyntaxException($"Unterminated string at {start}.");
                    }

                    char ch = text[i++];
                    if (ch == '\'')
                    {
                        break;
                    }

                    if (ch == '\\' && i < text.Length)
                    {
                        char esc = text[i++];
                        sb.Append(esc switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'f' => '\f', _ => esc });
                        continue;
                    }

                    sb.Append(ch);
                }

                tokens.Add(new Token(TokenKind.String, sb.ToString(), start, false));
            }
            else if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || (text[i] == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], start, false));
            }
            else
            {
                string two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                if (two is "!=" or "<=" or ">=" or "!~")
                {
                    tokens.Add(new Token(TokenKind.Symbol, two, i, false));
                    i += 2;
                }
                else if ("().[]|=<>~,{}".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(new Token(TokenKind.Symbol, c.ToString(), i, false));
                    i++;
                }
                else
                {
                    throw new FhirPathSyntaxException(string.Create(CultureInfo.InvariantCulture, $"Unsupported character at {i}."));
                }
            }
        }

        tokens.Add(new Token(TokenKind.End, "<end>", text.Length, false));
        return tokens;
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position, bool Quoted);
}
