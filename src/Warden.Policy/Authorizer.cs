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
        List<string>? forbids = null;
        List<string>? permits = null;
        Collect(candidates.Forbids.Other, ctx, ref forbids, ref errors);
        Collect(candidates.Forbids.ForPrincipal(request.Principal), ctx, ref forbids, ref errors);

        // Permits are evaluated even when a forbid holds, so that their evaluation errors are reported.
        Collect(candidates.Permits.Other, ctx, ref permits, ref errors);
        Collect(candidates.Permits.ForPrincipal(request.Principal), ctx, ref permits, ref errors);

        IReadOnlyList<PolicyEvaluationError> errs = errors is null ? [] : errors;
        if (forbids is not null)
        {
            return new AuthorizationResponse(Decision.Deny, forbids, errs);
        }

        return permits is not null ? new AuthorizationResponse(Decision.Allow, permits, errs) : new AuthorizationResponse(Decision.Deny, [], errs);
    }

    /// <summary>
    /// Full authorization into a caller-owned, reusable <paramref name="result"/> (cleared first). Allocates
    /// nothing when no policy raises an error and the policy set has seen the action before.
    /// </summary>
    public static void Authorize(AuthorizationRequest request, PolicySet policies, EntityStore entities, AuthorizationResult result)
    {
        result.Reset();
        var ctx = new EvaluationContext(request.Principal, request.Action, request.Resource, request.Context, entities);
        var candidates = policies.Index.For(request.Action, entities);
        Collect(candidates.Forbids.Other, ctx, result.Forbids, result.ErrorList);
        Collect(candidates.Forbids.ForPrincipal(request.Principal), ctx, result.Forbids, result.ErrorList);
        Collect(candidates.Permits.Other, ctx, result.Permits, result.ErrorList);
        Collect(candidates.Permits.ForPrincipal(request.Principal), ctx, result.Permits, result.ErrorList);
        result.Complete();
    }

    /// <summary>
    /// Computes only the decision. Stops at the first satisfied forbid and does not allocate once the policy set
    /// has seen the action (the per-action candidate lists are cached).
    /// </summary>
    public static Decision Decide(AuthorizationRequest request, PolicySet policies, EntityStore entities)
    {
        var ctx = new EvaluationContext(request.Principal, request.Action, request.Resource, request.Context, entities);
        var candidates = policies.Index.For(request.Action, entities);
        if (AnySatisfied(candidates.Forbids.Other, ctx) || AnySatisfied(candidates.Forbids.ForPrincipal(request.Principal), ctx))
        {
            return Decision.Deny;
        }

        return AnySatisfied(candidates.Permits.Other, ctx) || AnySatisfied(candidates.Permits.ForPrincipal(request.Principal), ctx)
            ? Decision.Allow
            : Decision.Deny;
    }

    private static bool AnySatisfied(CedarPolicy[] policies, in EvaluationContext ctx)
    {
        foreach (var p in policies)
        {
            try
            {
                if (p.IsSatisfiedForMatchingAction(ctx))
                {
                    return true;
                }
            }
            catch (EvaluationException)
            {
                // An erroring policy contributes nothing.
            }
        }

        return false;
    }

    private static void Collect(CedarPolicy[] policies, in EvaluationContext ctx, List<string> satisfied, List<PolicyEvaluationError> errors)
    {
        foreach (var p in policies)
        {
            try
            {
                if (p.IsSatisfiedForMatchingAction(ctx))
                {
                    satisfied.Add(p.Id);
                }
            }
            catch (EvaluationException ex)
            {
                errors.Add(new PolicyEvaluationError(p.Id, ex.Message));
            }
        }
    }

    private static void Collect(CedarPolicy[] policies, in EvaluationContext ctx, ref List<string>? satisfied, ref List<PolicyEvaluationError>? errors)
    {
        foreach (var p in policies)
        {
            try
            {
                if (p.IsSatisfiedForMatchingAction(ctx))
                {
                    (satisfied ??= []).Add(p.Id);
                }
            }
            catch (EvaluationException ex)
            {
                (errors ??= []).Add(new PolicyEvaluationError(p.Id, ex.Message));
            }
        }
    }
}
