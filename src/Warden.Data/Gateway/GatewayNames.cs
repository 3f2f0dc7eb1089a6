using System.Text.RegularExpressions;

namespace Warden.Data.Gateway;

/// <summary>The vocabulary of gateway settings, validated in one place.</summary>
public static partial class GatewayNames
{
    /// <summary>Provider kinds the gateway can call.</summary>
    public static IReadOnlyList<string> ProviderKinds { get; } = ["openai-compatible", "openai", "azure-openai", "anthropic", "bedrock"];

    /// <summary>Who a virtual key belongs to.</summary>
    public static IReadOnlyList<string> OwnerKinds { get; } = ["user", "team", "service"];

    /// <summary>Secret and PII detection modes for prompts.</summary>
    public static IReadOnlyList<string> InspectionModes { get; } = ["off", "monitor", "redact", "block"];

    /// <summary>Budget periods: the key's whole life, or each calendar month (UTC).</summary>
    public static IReadOnlyList<string> BudgetPeriods { get; } = ["total", "monthly"];

    /// <summary>Throws a validation error unless <paramref name="name"/> is a usable provider or route name.</summary>
    public static string RequireName(string what, string? name)
    {
        name = name?.Trim() ?? string.Empty;
        if (!NamePattern().IsMatch(name))
        {
            throw WardenException.Invalid($"Invalid {what} '{name}': use 1-100 characters: letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit.");
        }

        return name;
    }

    /// <summary>Throws a validation error unless <paramref name="value"/> is one of <paramref name="allowed"/>.</summary>
    public static string RequireOneOf(string what, string? value, IReadOnlyList<string> allowed)
    {
        var v = value?.Trim().ToLowerInvariant() ?? string.Empty;
        return allowed.Contains(v) ? v : throw WardenException.Invalid($"Invalid {what} '{value}': use one of {string.Join(", ", allowed)}.");
    }

    // Model names such as "anthropic.claude-3-5-sonnet-20240620-v1:0" or "meta-llama/Llama-3.1-8B" must fit.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
