namespace Warden.Models.Inspection;

/// <summary>Findings keyed by kind and location, in first-seen order.</summary>
internal sealed class FindingSet
{
    private readonly List<(string Kind, string Location)> _order = [];
    private readonly Dictionary<(string Kind, string Location), int> _counts = [];

    public void Add(string kind, string location, int count)
    {
        var key = (kind, location);
        if (!_counts.TryGetValue(key, out var existing))
        {
            _order.Add(key);
        }

        _counts[key] = existing + count;
    }

    public List<InspectionFinding> ToList() => [.. _order.Select(k => new InspectionFinding(k.Kind, k.Location, _counts[k]))];
}
