using Warden.Policy.Ast;
using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Validation;

/// <summary>
/// Strict-mode policy validation against a schema, following Cedar's validator: every referenced entity type,
/// enum entity and action must be declared, and each policy must typecheck under every request environment the
/// schema allows (principal type x action x resource type).
/// </summary>
public static class Validator
{
    /// <summary>Validates every static policy and template in the set.</summary>
    public static ValidationResult Validate(PolicySet policies, CedarSchema schema)
    {
        var errors = new List<ValidationError>();
        var warnings = new List<ValidationError>();
        var envs = Environments(schema);
        foreach (var p in policies.Policies.Concat(policies.Templates))
        {
            ValidatePolicy(p, schema, envs, errors, warnings);
        }

        return new ValidationResult(errors, warnings);
    }

    /// <summary>All request environments of a schema.</summary>
    public static IReadOnlyList<RequestEnvironment> Environments(CedarSchema schema)
    {
        var list = new List<RequestEnvironment>();
        foreach (var a in schema.Actions.Values)
        {
            foreach (var p in a.PrincipalTypes)
            {
                foreach (var r in a.ResourceTypes)
                {
                    list.Add(new RequestEnvironment(p, a.Uid, r, a.Context));
                }
            }
        }

        return list;
    }

    private static void ValidatePolicy(CedarPolicy p, CedarSchema schema, IReadOnlyList<RequestEnvironment> envs, List<ValidationError> errors, List<ValidationError> warnings)
    {
        var expr = p.ToExpr();
        var unknown = CheckEntities(expr, schema);
        if (unknown is not null)
        {
            errors.Add(new ValidationError(p.Id, "unknownEntity", unknown));
            return;
        }

        if (!ActionApplies(p, schema))
        {
            errors.Add(new ValidationError(p.Id, "invalidActionApplication", "no action in the policy's scope applies to the principal and resource the scope allows"));
            return;
        }

        var allFalse = true;
        foreach (var env in envs)
        {
            CedarType t;
            try
            {
                t = new Typechecker(schema, env).TypeOf(expr);
            }
            catch (TypeErrorException ex)
            {
                errors.Add(new ValidationError(p.Id, ex.Kind, $"{ex.Message} (principal: {env.PrincipalType}, action: {env.Action}, resource: {env.ResourceType})"));
                return;
            }

            if (t is not BoolType b)
            {
                errors.Add(new ValidationError(p.Id, "unexpectedType", $"policy condition has type {t}"));
                return;
            }

            if (b.Singleton != false)
            {
                allFalse = false;
            }
        }

        if (allFalse)
        {
            // A policy whose condition is always false is only worth a warning; an unsatisfiable scope was
            // already reported by the action-application check.
            warnings.Add(new ValidationError(p.Id, "impossiblePolicy", "policy is impossible: it evaluates to false in every request environment"));
        }
    }

    // Mirrors Cedar's action-application check: some action in the action scope must apply to a principal type
    // and a resource type that the principal and resource scopes admit.
    private static bool ActionApplies(CedarPolicy p, CedarSchema schema)
    {
        foreach (var a in schema.Actions.Values)
        {
            var inScope = p.Action.Kind switch
            {
                ActionScopeKind.Any => true,
                ActionScopeKind.Eq => a.Uid.Equals(p.Action.Entities[0]),
                _ => p.Action.Entities.Any(g => schema.IsDescendantAction(a.Uid, g)),
            };
            if (inScope && ScopeAdmits(p.Principal, a.PrincipalTypes, schema) && ScopeAdmits(p.Resource, a.ResourceTypes, schema))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ScopeAdmits(ScopeConstraint s, IReadOnlyList<string> types, CedarSchema schema)
    {
        switch (s.Kind)
        {
            case ScopeKind.Any:
                return types.Count > 0;
            case ScopeKind.Is:
                return types.Contains(s.EntityType!);
            case ScopeKind.Eq:
                return s.Entity is null ? types.Count > 0 : types.Contains(s.Entity.Type);
            case ScopeKind.In:
                return s.Entity is null ? types.Count > 0 : types.Any(t => schema.IsDescendantType(t, s.Entity.Type));
            default:
                return types.Contains(s.EntityType!) && (s.Entity is null || schema.IsDescendantType(s.EntityType!, s.Entity.Type));
        }
    }

    private static string? CheckEntities(Expr e, CedarSchema schema)
    {
        switch (e)
        {
            case LiteralExpr { Value: EntityUid uid }:
                return schema.IsValidEntityUid(uid) ? null : $"unknown entity {uid}";
            case LiteralExpr or VariableExpr or SlotExpr:
                return null;
            case IsExpr isx:
                // As in Cedar's validator, action entity types (basename `Action`) count as known.
                return schema.EntityTypes.ContainsKey(isx.EntityType) || isx.EntityType == "Action" || isx.EntityType.EndsWith("::Action", StringComparison.Ordinal)
                    ? CheckEntities(isx.Target, schema)
                    : $"unknown entity type {isx.EntityType}";
            case IfExpr i:
                return CheckEntities(i.Condition, schema) ?? CheckEntities(i.Then, schema) ?? CheckEntities(i.Else, schema);
            case AndExpr a:
                return CheckEntities(a.Left, schema) ?? CheckEntities(a.Right, schema);
            case OrExpr o:
                return CheckEntities(o.Left, schema) ?? CheckEntities(o.Right, schema);
            case BinaryExpr b:
                return CheckEntities(b.Left, schema) ?? CheckEntities(b.Right, schema);
            case UnaryExpr u:
                return CheckEntities(u.Operand, schema);
            case LikeExpr l:
                return CheckEntities(l.Target, schema);
            case HasAttrExpr h:
                return CheckEntities(h.Target, schema);
            case GetAttrExpr g:
                return CheckEntities(g.Target, schema);
            case SetExpr s:
                foreach (var x in s.Elements)
                {
                    if (CheckEntities(x, schema) is { } err)
                    {
                        return err;
                    }
                }

                return null;
            case RecordExpr r:
                foreach (var (_, x) in r.Fields)
                {
                    if (CheckEntities(x, schema) is { } err)
                    {
                        return err;
                    }
                }

                return null;
            case ExtensionCallExpr c:
                foreach (var x in c.Arguments)
                {
                    if (CheckEntities(x, schema) is { } err)
                    {
                        return err;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
