using System.Globalization;
using Warden.Data;
using Warden.Data.Gateway;

namespace Warden.Server.Components.Shared;

/// <summary>
/// How the model gateway pages write and read route targets, money and counts. Targets are one per line as
/// <c>PROVIDER:MODEL[@WEIGHT]</c>, the form the CLI's <c>--target</c> takes, so what a page shows can be pasted back.
/// </summary>
public static class GatewayText
{
    /// <summary>Parses one target per line (blank lines ignored); a bad line is a validation error naming it.</summary>
    public static List<RouteTarget> ParseTargets(string? text, string what)
    {
        var targets = new List<RouteTarget>();
        foreach (var raw in (text ?? string.Empty).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == line.Length - 1)
            {
                throw WardenException.Invalid($"Invalid {what} line '{line}': use PROVIDER:MODEL[@WEIGHT], one per line.");
            }

            var model = line[(colon + 1)..];
            var weight = 1;
            var at = model.LastIndexOf('@');
            if (at >= 0)
            {
                if (!int.TryParse(model[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight is < 1 or > 1000)
                {
                    throw WardenException.Invalid($"Invalid weight in {what} line '{line}': use a whole number from 1 to 1000 after '@'.");
                }

                model = model[..at];
            }

            targets.Add(new RouteTarget(line[..colon], model, weight));
        }

        return targets;
    }

    /// <summary>Targets as the form takes them, one per line; the weight only where a choice is weighted.</summary>
    public static string FormatTargets(IReadOnlyList<RouteTarget> targets, bool withWeights) =>
        string.Join("\n", targets.Select(t => Format(t, withWeights)));

    /// <summary>One target as <c>PROVIDER:MODEL</c>, with <c>@WEIGHT</c> when asked.</summary>
    public static string Format(RouteTarget target, bool withWeight) =>
        $"{target.Provider}:{target.Model}" + (withWeight ? "@" + target.Weight.ToString(CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>US dollars with cents and up to four more places, so a single cheap call is not shown as $0.00.</summary>
    public static string Money(decimal dollars) => "$" + dollars.ToString("0.00####", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A key's rate and concurrency limits, naming only those that are set.</summary>
    public static string Limits(int? rpm, int? tpm, int? concurrency)
    {
        var parts = new[] { (rpm, "rpm"), (tpm, "tpm"), (concurrency, "concurrent") }.Where(p => p.Item1 is not null).Select(p => $"{Count(p.Item1!.Value)} {p.Item2}").ToList();
        return parts.Count == 0 ? "none" : string.Join(" · ", parts);
    }

    /// <summary>Splits a comma- or space-separated list of names.</summary>
    public static List<string> ParseList(string? text) =>
        (text ?? string.Empty).Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
