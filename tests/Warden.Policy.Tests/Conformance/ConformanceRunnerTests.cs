using Warden.Policy.Conformance;

namespace Warden.Policy.Tests.Conformance;

public sealed class ConformanceRunnerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "warden-conf-" + Guid.NewGuid().ToString("N"));

    public ConformanceRunnerTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        Directory.CreateDirectory(Path.Combine(_dir, "tests"));
        File.WriteAllText(Path.Combine(_dir, "data", "policies.cedar"), """
            permit(principal == User::"alice", action == Action::"view", resource);
            forbid(principal, action, resource) when { context.blocked };
            """);
        File.WriteAllText(Path.Combine(_dir, "data", "schema.cedarschema"), """
            entity User;
            entity Doc;
            action view appliesTo { principal: [User], resource: [Doc], context: { blocked: Bool } };
            """);
        File.WriteAllText(Path.Combine(_dir, "data", "entities.json"), "[]");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RunFile_ComparesDecisionReasonsAndErrors()
    {
        var test = WriteTest("ok.json", expectAllowForAlice: true);
        var result = ConformanceRunner.RunFile(test, _dir);
        result.Error.ShouldBeNull();
        result.ValidationMatched.ShouldBeTrue();
        result.Requests.ShouldAllBe(r => r.Passed);
        result.Passed.ShouldBeTrue();
    }

    [Fact]
    public void RunFile_ReportsMismatchesAndInfersTheRoot()
    {
        var test = WriteTest("bad.json", expectAllowForAlice: false);
        var result = ConformanceRunner.RunFile(test);
        result.Error.ShouldBeNull();
        result.Passed.ShouldBeFalse();
        result.Requests[0].Failure.ShouldNotBeNull().ShouldContain("decision");
    }

    [Fact]
    public void RunFile_NamesTheFileAndPositionOfASyntaxError()
    {
        var test = WriteTest("ok.json", expectAllowForAlice: true);
        File.WriteAllText(Path.Combine(_dir, "data", "policies.cedar"), "permit(principal, action, resource)\nwhen { 1 + };");
        var result = ConformanceRunner.RunFile(test, _dir);
        result.Error.ShouldNotBeNull().ShouldContain("policies.cedar:2:12:");
    }

    [Fact]
    public void RunAll_SummarizesPassedAndFailed()
    {
        var report = ConformanceRunner.RunAll([WriteTest("a.json", true), WriteTest("b.json", false), Path.Combine(_dir, "tests", "missing.json")], _dir);
        report.TestsPassed.ShouldBe(1);
        report.TestsFailed.ShouldBe(2);
        report.LoadErrors.ShouldBe(1);
        report.Summary.ShouldBe("1 passed, 2 failed");
        var text = new StringWriter();
        report.WriteTo(text);
        text.ToString().ShouldContain("could not load");
        text.ToString().TrimEnd().ShouldEndWith("1 passed, 2 failed");
        ConformanceRunner.ExpandPaths([Path.Combine(_dir, "tests")]).Count().ShouldBe(2);
    }

    private string WriteTest(string name, bool expectAllowForAlice)
    {
        var path = Path.Combine(_dir, "tests", name);
        File.WriteAllText(path, $$"""
            {
              "policies": "data/policies.cedar",
              "entities": "data/entities.json",
              "schema": "data/schema.cedarschema",
              "shouldValidate": true,
              "requests": [
                {"description": "alice views", "principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "view"},
                 "resource": {"type": "Doc", "id": "d"}, "context": {"blocked": false},
                 "decision": "{{(expectAllowForAlice ? "allow" : "deny")}}", "reason": {{(expectAllowForAlice ? "[\"policy0\"]" : "[]")}}, "errors": []},
                {"description": "blocked", "principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "view"},
                 "resource": {"type": "Doc", "id": "d"}, "context": {"blocked": true},
                 "decision": "deny", "reason": ["policy1"], "errors": []}
              ]
            }
            """);
        return path;
    }
}
