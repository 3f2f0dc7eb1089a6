using System.Text.Json.Nodes;

namespace Warden.Models.Tests;

internal static class Json
{
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    public static string Str(JsonNode? node) => node!.GetValue<string>();

    public static long Num(JsonNode? node) => node!.GetValue<long>();

    /// <summary>Compares two JSON documents structurally.</summary>
    public static void ShouldEqualJson(this JsonNode? actual, string expected) =>
        JsonNode.DeepEquals(actual, JsonNode.Parse(expected)).ShouldBeTrue($"actual: {actual?.ToJsonString()}");
}
