namespace Warden.Models.Inspection;

/// <summary>Findings keyed by kind and location, in first-seen order.</summary>
internal sealed class FindingSet
{
    // Made on the first finding: most prompts have none.
    private List<(string Kind, string Location)>? _order;
    private Dictionary<(string Kind, string Location), int>? _counts;

    public void Add(string kind, string location, int count)
    {
        var key = (kind, location);
        _order ??= [];
        _counts ??= [];
        if (!_counts.TryGetValue(key, out var existing))
        {
            _order.Add(key);
        }

        _counts[key] = existing + count;
    }

    public IReadOnlyList<InspectionFinding> ToList() =>
        _order is null ? [] : [.. _order.Select(k => new InspectionFinding(k.Kind, k.Location, _counts![k]))];
}
