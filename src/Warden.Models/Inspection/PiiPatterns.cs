using System.Text.RegularExpressions;

namespace Warden.Models.Inspection;

/// <summary>
/// Personal-data shapes, one alternation so each text is scanned once. Group names are the finding kinds. Card
/// numbers and IBANs are only candidates here; <see cref="IsValid"/> confirms them by checksum.
/// </summary>
internal static partial class PiiPatterns
{
    public static readonly string[] Kinds = ["email", "us_ssn", "iban", "payment_card", "phone"];

    // Order matters: IBANs (letters first) before card numbers (digits only), SSNs before either.
    [GeneratedRegex(
        """
        (?<email>\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b)
        |(?<us_ssn>\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b)
        |(?<iban>\b[A-Z]{2}[0-9]{2}(?:\ ?[A-Z0-9]{4}){2,7}(?:\ ?[A-Z0-9]{1,3})?\b)
        |(?<payment_card>\b[0-9](?:[\ \-]?[0-9]){12,18}\b)
        |(?<phone>(?<![\w+])\+[1-9][0-9]{7,14}\b)
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant)]
    public static partial Regex Pii();

    /// <summary>The kind of <paramref name="match"/> when it passes its checks, otherwise null.</summary>
    public static string? KindOf(Match match)
    {
        foreach (var kind in Kinds)
        {
            if (match.Groups[kind].Success)
            {
                return IsValid(kind, match.ValueSpan) ? kind : null;
            }
        }

        return null;
    }

    /// <summary>Checksums for the kinds that have one: Luhn for card numbers, mod-97 for IBANs.</summary>
    public static bool IsValid(string kind, ReadOnlySpan<char> value) => kind switch
    {
        "payment_card" => IsCardNumber(value),
        "iban" => IsIban(value),
        _ => true,
    };

    /// <summary>13 to 19 digits (separators ignored) with a card network's first digit and a valid Luhn check digit.</summary>
    public static bool IsCardNumber(ReadOnlySpan<char> value)
    {
        Span<int> digits = stackalloc int[19];
        var count = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return false;
                }

                digits[count++] = c - '0';
            }
        }

        // 2 and 5: Mastercard; 3: Amex, Diners, JCB; 4: Visa; 6: Discover, UnionPay.
        if (count < 13 || digits[0] < 2 || digits[0] > 6)
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            var d = digits[count - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>15 to 34 characters (spaces ignored) whose ISO 13616 mod-97 remainder is 1.</summary>
    public static bool IsIban(ReadOnlySpan<char> value)
    {
        Span<char> compact = stackalloc char[34];
        var length = 0;
        foreach (var c in value)
        {
            if (c == ' ')
            {
                continue;
            }

            if (length == compact.Length)
            {
                return false;
            }

            compact[length++] = c;
        }

        if (length < 15)
        {
            return false;
        }

        // Move the country code and check digits to the end, read letters as 10..35, and reduce mod 97 as we go.
        var remainder = 0;
        for (var i = 0; i < length; i++)
        {
            var c = compact[(i + 4) % length];
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }
}
