using System.Text.Json;
using Warden.Policy.Entities;
using Warden.Policy.Json;
using Warden.Policy.Parsing;
using Warden.Policy.Schemas;
using Warden.Policy.Validation;
using Warden.Policy.Values;

namespace Warden.Policy.Conformance;

/// <summary>
/// Runs tests in the Cedar integration-test JSON format (<c>policies</c>, <c>entities</c>, <c>schema</c>,
/// <c>shouldValidate</c>, <c>requests</c>). Paths inside a test file are resolved against a root folder.
/// </summary>
public static class ConformanceRunner
{
    /// <summary>
    /// Runs one test file. Paths inside it are resolved against <paramref name="root"/>; when null, the nearest
    /// folder (the file's own, or an ancestor) under which the referenced policy file exists is used.
    /// </summary>
    public static ConformanceTestResult RunFile(string path, string? root = null)
    {
        try
        {
            return Run(path, root);
        }
        catch (Exception ex) when (ex is ParseException or JsonException or IOException or InvalidOperationException or KeyNotFoundException
            or UnauthorizedAccessException or ArgumentException or NotSupportedException or FormatException or InvalidDataException)
        {
            // A test that cannot be loaded is a failed test, reported with the reason; it must not stop a run.
            return new ConformanceTestResult(path, false, false, [], [], ex.Message);
        }
    }

    /// <summary>Runs many test files (in parallel) and aggregates the results in input order.</summary>
    public static ConformanceReport RunAll(IEnumerable<string> paths, string? root = null)
    {
        var list = paths.ToList();
        var results = new ConformanceTestResult[list.Count];
        Parallel.For(0, list.Count, i => results[i] = RunFile(list[i], root));
        return new ConformanceReport(results);
    }

    /// <summary>
    /// Expands command-line style arguments: folders become the test files under them (see <see cref="FindTests"/>),
    /// files are kept as given.
    /// </summary>
    public static IEnumerable<string> ExpandPaths(IEnumerable<string> pathsOrFolders) =>
        pathsOrFolders.SelectMany(p => Directory.Exists(p) ? FindTests(p) : [p]);

    /// <summary>Finds the test description files under a folder (JSON files that are not <c>*.entities.json</c>).</summary>
    public static IEnumerable<string> FindTests(string folder) =>
        Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".entities.json", StringComparison.Ordinal) && !string.Equals(System.IO.Path.GetFileName(p), "entities.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static ConformanceTestResult Run(string path, string? root)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var t = doc.RootElement;
        root ??= InferRoot(path, t.GetProperty("policies").GetString()!);
        string Resolve(string field) => System.IO.Path.Combine(root, t.GetProperty(field).GetString()!);

        CedarSchema? schema = null;
        if (t.TryGetProperty("schema", out var sp) && sp.ValueKind == JsonValueKind.String)
        {
            var schemaPath = Resolve("schema");
            var schemaText = File.ReadAllText(schemaPath);
            schema = Load(schemaPath, () => schemaPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CedarSchema.ParseJson(schemaText) : CedarSchema.Parse(schemaText));
        }

        var entitiesPath = Resolve("entities");
        var entities = Load(entitiesPath, () => CedarJson.ParseEntities(File.ReadAllText(entitiesPath), schema));
        var policiesPath = Resolve("policies");
        var policies = Load(policiesPath, () => PolicySet.Parse(File.ReadAllText(policiesPath)));

        var expectValid = !t.TryGetProperty("shouldValidate", out var sv) || sv.GetBoolean();
        var validationMatched = true;
        IReadOnlyList<string> validationErrors = [];
        if (schema is not null)
        {
            var vr = Validator.Validate(policies, schema);
            validationErrors = [.. vr.Errors.Select(e => e.ToString())];
            validationMatched = vr.IsValid == expectValid;
        }

        var requests = new List<ConformanceRequestResult>();
        foreach (var r in t.GetProperty("requests").EnumerateArray())
        {
            requests.Add(RunRequest(r, policies, entities, schema));
        }

        return new ConformanceTestResult(path, expectValid, validationMatched, validationErrors, requests, null);
    }

    // Prefixes syntax errors with the file they come from, so a failing test points at the right file.
    private static T Load<T>(string file, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (ParseException ex)
        {
            var where = ex.Error.Line > 0 ? $"{file}:{ex.Error.Line}:{ex.Error.Column}" : file;
            throw new InvalidDataException($"{where}: {ex.Error.Message}", ex);
        }
    }

    private static string InferRoot(string testPath, string policiesPath)
    {
        var start = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(testPath)) ?? ".";
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, policiesPath)))
            {
                return dir.FullName;
            }
        }

        return start;
    }

    private static ConformanceRequestResult RunRequest(JsonElement r, PolicySet policies, EntityStore entities, CedarSchema? schema)
    {
        var desc = r.TryGetProperty("description", out var d) ? d.GetString() ?? string.Empty : string.Empty;
        try
        {
            var principal = CedarJson.ParseEntityUid(r.GetProperty("principal"));
            var action = CedarJson.ParseEntityUid(r.GetProperty("action"));
            var resource = CedarJson.ParseEntityUid(r.GetProperty("resource"));
            RecordType? contextType = null;
            if (schema is not null && schema.Actions.TryGetValue(action, out var a))
            {
                contextType = a.Context;
            }

            var context = r.TryGetProperty("context", out var c) ? CedarJson.ParseContext(c, contextType) : RecordValue.Empty;
            var request = new AuthorizationRequest(principal, action, resource, context);
            var validate = !r.TryGetProperty("validateRequest", out var vr) || vr.GetBoolean();
            if (validate && schema is not null)
            {
                var problems = RequestValidator.Validate(request, schema);
                if (problems.Count > 0)
                {
                    return new ConformanceRequestResult(desc, false, "request rejected by schema: " + string.Join("; ", problems));
                }
            }

            var response = Authorizer.IsAuthorized(request, policies, entities);
            var expectedDecision = r.GetProperty("decision").GetString()!;
            var expectedReasons = r.GetProperty("reason").EnumerateArray().Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal);
            var expectedErrors = r.GetProperty("errors").EnumerateArray().Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal);
            var failures = new List<string>();
            if (!string.Equals(expectedDecision, response.Decision.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"decision {response.Decision}, expected {expectedDecision}");
            }

            if (!expectedReasons.SetEquals(response.Reasons))
            {
                failures.Add($"reasons [{string.Join(", ", response.Reasons)}], expected [{string.Join(", ", expectedReasons)}]");
            }

            if (!expectedErrors.SetEquals(response.Errors.Select(e => e.PolicyId)))
            {
                failures.Add($"errors [{string.Join(", ", response.Errors.Select(e => e.PolicyId + ": " + e.Message))}], expected [{string.Join(", ", expectedErrors)}]");
            }

            return new ConformanceRequestResult(desc, failures.Count == 0, failures.Count == 0 ? null : string.Join("; ", failures));
        }
        catch (Exception ex) when (ex is ParseException or InvalidOperationException or KeyNotFoundException)
        {
            return new ConformanceRequestResult(desc, false, "request could not be loaded: " + ex.Message);
        }
    }
}
