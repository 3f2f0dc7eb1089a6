using Warden.Policy.Entities;
using Warden.Policy.Evaluation;

namespace Warden.Policy;

/// <summary>Cedar authorization: default deny, forbid wins, erroring policies are skipped and reported.</summary>
public static class Authorizer
{
    /// <summary>Authorizes a request against a policy set and entity data, reporting reasons and errors.</summary>
    public static AuthorizationResponse IsAuthorized(AuthorizationRequest request, PolicySet policies, EntityStore entities)
    {
        var ctx = new EvaluationContext(request.Principal, request.Action, request.Resource, request.Context, entities);
        var candidates = policies.Index.For(request.Action, entities);
        List<PolicyEvaluationError>? errors = null;
        var forbids = Collect(candidates.Forbids, ctx, ref errors);
        var permits = forbids is null ? Collect(candidates.Permits, ctx, ref errors) : null;
        if (forbids is not null)
        {
            // Permits do not affect the decision, but their evaluation errors are still reported.
            Collect(candidates.Permits, ctx, ref errors);
        }

        IReadOnlyList<PolicyEvaluationError> errs = errors is null ? [] : errors;
        if (forbids is not null)
        {
            return new AuthorizationResponse(Decision.Deny, forbids, errs);
        }

        return permits is not null ? new AuthorizationResponse(Decision.Allow, permits, errs) : new AuthorizationResponse(Decision.Deny, [], errs);
    }

    /// <summary>
    /// Computes only the decision. Stops at the first satisfied forbid and does not allocate once the policy set
    /// has seen the action (the per-action candidate lists are cached).
    /// </summary>
    public static Decision Decide(AuthorizationRequest request, PolicySet policies, EntityStore entities)
    {
        var ctx = new EvaluationContext(request.Principal, request.Action, request.Resource, request.Context, entities);
        var candidates = policies.Index.For(request.Action, entities);
        foreach (var p in candidates.Forbids)
        {
            if (SatisfiedWithoutError(p, ctx))
            {
                return Decision.Deny;
            }
        }

        foreach (var p in candidates.Permits)
        {
            if (SatisfiedWithoutError(p, ctx))
            {
                return Decision.Allow;
            }
        }

        return Decision.Deny;
    }

    private static bool SatisfiedWithoutError(CedarPolicy p, in EvaluationContext ctx)
    {
        try
        {
            return p.IsSatisfied(ctx);
        }
        catch (EvaluationException)
        {
            return false;
        }
    }

    private static List<string>? Collect(CedarPolicy[] policies, in EvaluationContext ctx, ref List<PolicyEvaluationError>? errors)
    {
        List<string>? satisfied = null;
        foreach (var p in policies)
        {
            try
            {
                if (p.IsSatisfied(ctx))
                {
                    (satisfied ??= []).Add(p.Id);
                }
            }
            catch (EvaluationException ex)
            {
                (errors ??= []).Add(new PolicyEvaluationError(p.Id, ex.Message));
            }
        }

        return satisfied;
    }
}
