namespace Warden.Models;

/// <summary>What <see cref="PromptInspector"/> found in one place of a request. Never holds the matched text.</summary>
/// <param name="Kind">The detector, e.g. <c>openai_key</c>, <c>email</c>, <c>payment_card</c>.</param>
/// <param name="Location">Where in the body, e.g. <c>messages[2].content</c> or <c>input[0].content[1].text</c>.</param>
/// <param name="Count">How many matches of this kind at this location.</param>
public sealed record InspectionFinding(string Kind, string Location, int Count);
