using System.Text;
using System.Text.Json.Nodes;
using Carevault.Records.Store;

namespace Carevault.Records.Tests.Store;

/// <summary>JSON Patch (RFC 6902) and JSON Pointer (RFC 6901), including the RFC's own appendix A cases.</summary>
public sealed class JsonPatchTests
{
    static RecordResult<JsonNode> Apply(string document, string patch)
    {
        var operations = JsonPatch.Parse(Encoding.UTF8.GetBytes(patch));
        Assert.True(operations.IsSuccess, operations.Error?.ToString());
        return JsonPatch.Apply(JsonNode.Parse(document)!, operations.Value!);
    }

    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"test","path":"/c/b","value":1}]""", """{"a":{"b":1},"c":{"b":1}}""")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"replace","path":"/~01","value":11},{"op":"remove","path":"/~1"}]""", """{"~1":11}""")]
    public void Apply_FollowsRfc6902(string document, string patch, string expected)
    {
        var result = Apply(document, patch);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result.Value), result.Value!.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/baz","value":"bar"}]""")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""")]
    [InlineData("""[{"op":"add","path":"/missing/child","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/list/5","value":1}]""")]
    [InlineData("""[{"op":"replace","path":"/list/01","value":1}]""")]
    [InlineData("""[{"op":"move","from":"/a","path":"/a/b"}]""")]
    [InlineData("""[{"op":"replace","path":"","value":{}}]""")]
    public void Apply_WhenThePatchDoesNotFit_IsUnprocessableAndChangesNothing(string patch)
    {
        var document = JsonNode.Parse("""{"baz":"qux","list":[1,2],"a":{"b":1}}""")!;
        var before = document.ToJsonString();

        var operations = JsonPatch.Parse(Encoding.UTF8.GetBytes(patch));
        var result = JsonPatch.Apply(document, operations.Value!);

        Assert.Equal(RecordErrorKind.Unprocessable, result.Error?.Kind);
        Assert.StartsWith("Patch operation 0:", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, document.ToJsonString());
    }

    [Theory]
    [InlineData("""{"op":"add"}""")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/a"}]""")]
    [InlineData("""[{"op":"move","path":"/a"}]""")]
    [InlineData("""[1]""")]
    [InlineData("""[{"op":"add","path":"/a","value":""")]
    public void Parse_WhenMalformed_IsBadRequest(string patch)
    {
        Assert.Equal(RecordErrorKind.BadRequest, JsonPatch.Parse(Encoding.UTF8.GetBytes(patch)).Error?.Kind);
    }
}
