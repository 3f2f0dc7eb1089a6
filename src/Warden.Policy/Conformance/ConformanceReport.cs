using System.Globalization;

namespace Warden.Policy.Conformance;

/// <summary>Aggregated conformance results over many test files.</summary>
public sealed class ConformanceReport
{
    /// <summary>Aggregates per-file results.</summary>
    public ConformanceReport(IReadOnlyList<ConformanceTestResult> tests)
    {
        Tests = tests;
        foreach (var t in tests)
        {
            if (t.Passed)
            {
                TestsPassed++;
            }

            if (t.Error is not null)
            {
                LoadErrors++;
                continue;
            }

            ValidationTotal++;
            if (t.ValidationMatched)
            {
                ValidationPassed++;
            }

            foreach (var r in t.Requests)
            {
                RequestsTotal++;
                if (r.Passed)
                {
                    RequestsPassed++;
                }
            }
        }
    }

    /// <summary>Per-file results.</summary>
    public IReadOnlyList<ConformanceTestResult> Tests { get; }

    /// <summary>Files where everything matched.</summary>
    public int TestsPassed { get; }

    /// <summary>Files with any mismatch or load error.</summary>
    public int TestsFailed => Tests.Count - TestsPassed;

    /// <summary>Files that could not be loaded.</summary>
    public int LoadErrors { get; }

    /// <summary>Requests whose decision, reasons and errors matched.</summary>
    public int RequestsPassed { get; }

    /// <summary>Requests run.</summary>
    public int RequestsTotal { get; }

    /// <summary>Files whose <c>shouldValidate</c> expectation matched.</summary>
    public int ValidationPassed { get; }

    /// <summary>Files whose validation was checked.</summary>
    public int ValidationTotal { get; }

    /// <summary>The closing line, e.g. <c>6401 passed, 0 failed</c> (counted per test file).</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"{TestsPassed} passed, {TestsFailed} failed");

    /// <summary>A longer breakdown of requests and validation.</summary>
    public string Details => string.Create(
        CultureInfo.InvariantCulture,
        $"requests: {RequestsPassed}/{RequestsTotal} matched; validation: {ValidationPassed}/{ValidationTotal} matched; load errors: {LoadErrors}");

    /// <summary>
    /// Writes a human-readable report: one line per mismatch (at most <paramref name="maxFailures"/>), the
    /// request/validation breakdown, and the closing <c>N passed, M failed</c> line.
    /// </summary>
    public void WriteTo(TextWriter writer, int maxFailures = 50)
    {
        var written = 0;
        foreach (var t in Tests.Where(t => !t.Passed))
        {
            foreach (var line in FailureLines(t))
            {
                if (written++ < maxFailures)
                {
                    writer.WriteLine(line);
                }
            }
        }

        if (written > maxFailures)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"... and {written - maxFailures} more"));
        }

        writer.WriteLine(Details);
        writer.WriteLine(Summary);
    }

    /// <summary>Describes what did not match in one test file.</summary>
    public static IEnumerable<string> FailureLines(ConformanceTestResult t)
    {
        if (t.Error is not null)
        {
            yield return $"{t.Path}: could not load: {t.Error}";
            yield break;
        }

        if (!t.ValidationMatched)
        {
            yield return t.ExpectedValid
                ? $"{t.Path}: expected the policies to validate, but: {string.Join(" | ", t.ValidationErrors)}"
                : $"{t.Path}: expected validation errors, but the policies validated";
        }

        foreach (var r in t.Requests.Where(r => !r.Passed))
        {
            yield return $"{t.Path}: {r.Description}: {r.Failure}";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Summary;
}
