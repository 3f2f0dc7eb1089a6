using Warden.Policy.Schemas;

namespace Warden.Policy.Validation;

/// <summary>Least upper bounds of types in strict mode: records need identical keys, entities identical types.</summary>
internal static class TypeLattice
{
    public static CedarType? Lub(CedarType a, CedarType b)
    {
        switch (a)
        {
            case BoolType ba when b is BoolType bb:
                return ba.Singleton == bb.Singleton ? ba : BoolType.Any;
            case SetType sa when b is SetType sb:
                {
                    var el = Lub(sa.Element, sb.Element);
                    return el is null ? null : new SetType(el);
                }

            case RecordType ra when b is RecordType rb:
                {
                    if (ra.Attributes.Count != rb.Attributes.Count)
                    {
                        return null;
                    }

                    var d = new Dictionary<string, AttributeType>(StringComparer.Ordinal);
                    foreach (var (k, va) in ra.Attributes)
                    {
                        if (!rb.Attributes.TryGetValue(k, out var vb))
                        {
                            return null;
                        }

                        var t = Lub(va.Type, vb.Type);
                        if (t is null)
                        {
                            return null;
                        }

                        d[k] = new AttributeType(t, va.Required && vb.Required);
                    }

                    return new RecordType(d);
                }

            default:
                return a.Equals(b) ? a : null;
        }
    }
}
