using System.Diagnostics;
using System.Globalization;
using Warden.Policy.Conformance;
using Xunit.Abstractions;

namespace Warden.Policy.Tests.Conformance;

[Collection(CorpusCollection.Name)]
public sealed class ConformanceTests(CorpusFixture corpus, ITestOutputHelper output)
{
    // Thresholds are set at the level actually achieved, so any regression fails the test.
    private const double MinRequestPassRate = 1.0;
    private const double MinValidationPassRate = 1.0;

    [Fact]
    public void Corpus_MatchesReferenceDecisionsAndValidation()
    {
        // CI and every developer checkout have shared/ beside the repository; a missing corpus must fail loudly, or
        // the conformance claim would silently stop being checked.
        corpus.Root.ShouldNotBeNull("the Cedar corpus (shared/conformance/cedar) was not found beside the repository");

        var sw = Stopwatch.StartNew();
        var report = ConformanceRunner.RunAll(ConformanceRunner.FindTests(corpus.Root), corpus.Root);
        sw.Stop();

        output.WriteLine($"{report.Tests.Count} test files in {sw.Elapsed.TotalSeconds:F1}s");
        output.WriteLine(report.Details);
        output.WriteLine(report.Summary);
        var lines = report.Tests.Where(t => !t.Passed).SelectMany(ConformanceReport.FailureLines).ToList();
        output.WriteLine($"{lines.Count} mismatches");

        foreach (var line in lines.Take(15))
        {
            output.WriteLine(line);
        }

        if (lines.Count > 0)
        {
            // The full list, for local diagnosis; the test output only shows the first few.
            File.WriteAllLines(Path.Combine(Path.GetTempPath(), "warden-cedar-conformance-failures.txt"), lines);
        }

        var requestRate = report.RequestsTotal == 0 ? 1.0 : (double)report.RequestsPassed / report.RequestsTotal;
        var validationRate = report.ValidationTotal == 0 ? 1.0 : (double)report.ValidationPassed / report.ValidationTotal;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"request pass rate {requestRate:P3}, validation pass rate {validationRate:P3}"));
        report.Tests.Count.ShouldBeGreaterThan(6000);
        report.LoadErrors.ShouldBe(0);
        requestRate.ShouldBeGreaterThanOrEqualTo(MinRequestPassRate);
        validationRate.ShouldBeGreaterThanOrEqualTo(MinValidationPassRate);
    }
}
