using System.Text.Json;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Json;
using Warden.Policy.Parsing;
using Warden.Policy.Validation;
using Warden.Policy.Values;

namespace Warden.Server.Policy;

/// <summary>
/// Runs a bundle's tests. They use Cedar's integration-test JSON format with two differences that suit a policy
/// repository: the whole bundle is under test (the <c>policies</c> and <c>schema</c> fields are ignored, so a new
/// policy file cannot escape the tests), and reasons and errors name policies by their bundle ids (<c>@id</c>).
/// </summary>
public static class BundleTestRunner
{
    /// <summary>Runs every test file of <paramref name="bundle"/>.</summary>
    public static BundleTestReport Run(PolicyBundle bundle)
    {
        var failures = new List<string>();
        int passed = 0, failed = 0, requestsPassed = 0, requestsTotal = 0;
        var valid = bundle.Validate().IsValid;
        foreach (var file in bundle.TestFiles)
        {
            var before = failures.Count;
            try
            {
                using var doc = JsonDocument.Parse(bundle.Files[file]);
                var root = doc.RootElement;
                if (root.TryGetProperty("shouldValidate", out var should) && should.ValueKind is JsonValueKind.True or JsonValueKind.False && should.GetBoolean() != valid)
                {
                    failures.Add($"{file}: shouldValidate is {should.GetBoolean()}, but validation {(valid ? "passed" : "failed")}.");
                }

                var entities = LoadEntities(bundle, root, file);
                foreach (var request in root.GetProperty("requests").EnumerateArray())
                {
                    requestsTotal++;
                    if (RunRequest(bundle, entities, request) is { } problem)
                    {
                        var description = request.TryGetProperty("description", out var d) ? d.GetString() : "request";
                        failures.Add($"{file}: {description}: {problem}");
                    }
                    else
                    {
                        requestsPassed++;
                    }
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ParseException or FormatException)
            {
                failures.Add($"{file}: cannot be read: {e.Message}");
            }

            if (failures.Count == before)
            {
                passed++;
            }
            else
            {
                failed++;
            }
        }

        return new BundleTestReport(passed, failed, requestsPassed, requestsTotal, failures);
    }

    private static EntityStore LoadEntities(PolicyBundle bundle, JsonElement root, string file)
    {
        var actions = bundle.Schema.ActionEntities();
        if (!root.TryGetProperty("entities", out var entities) || entities.ValueKind == JsonValueKind.Null)
        {
            return new EntityStore(actions);
        }

        // Either inline entities, or a path within the bundle.
        var json = entities.ValueKind == JsonValueKind.String
            ? bundle.Files.TryGetValue(entities.GetString()!, out var text) ? text : throw new InvalidOperationException($"entities file '{entities.GetString()}' is not in the bundle")
            : entities.GetRawText();
        _ = file;
        return new EntityStore(CedarJson.ParseEntities(json, bundle.Schema).All.Where(e => !bundle.Schema.Actions.ContainsKey(e.Uid)).Concat(actions));
    }

    private static string? RunRequest(PolicyBundle bundle, EntityStore entities, JsonElement request)
    {
        var action = CedarJson.ParseEntityUid(request.GetProperty("action"));
        var context = request.TryGetProperty("context", out var c) && c.ValueKind == JsonValueKind.Object
            ? CedarJson.ParseContext(c, bundle.Schema.Actions.TryGetValue(action, out var a) ? a.Context : null)
            : RecordValue.Empty;
        var authorization = new AuthorizationRequest(CedarJson.ParseEntityUid(request.GetProperty("principal")), action, CedarJson.ParseEntityUid(request.GetProperty("resource")), context);
        if (!request.TryGetProperty("validateRequest", out var validate) || validate.ValueKind != JsonValueKind.False)
        {
            var problems = RequestValidator.Validate(authorization, bundle.Schema);
            if (problems.Count > 0)
            {
                return "the request does not match the schema: " + string.Join("; ", problems);
            }
        }

        var response = Authorizer.IsAuthorized(authorization, bundle.Policies, entities);
        var decision = response.Decision == Decision.Allow ? "allow" : "deny";
        var expectedDecision = request.GetProperty("decision").GetString();
        var expectedReasons = Ids(request, "reason");
        var expectedErrors = Ids(request, "errors");
        var errors = response.Errors.Select(e => e.PolicyId).ToHashSet(StringComparer.Ordinal);
        if (!string.Equals(decision, expectedDecision, StringComparison.OrdinalIgnoreCase) || !expectedReasons.SetEquals(response.Reasons) || !expectedErrors.SetEquals(errors))
        {
            return $"got {decision} [{string.Join(", ", response.Reasons)}] errors [{string.Join(", ", errors)}], expected {expectedDecision} [{string.Join(", ", expectedReasons)}] errors [{string.Join(", ", expectedErrors)}]";
        }

        return null;
    }

    private static HashSet<string> Ids(JsonElement request, string name) =>
        request.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToHashSet(StringComparer.Ordinal)
            : [];
}
