using Warden.Policy.Entities;
using Warden.Policy.Evaluation;

namespace Warden.Policy;

/// <summary>Cedar authorization: default deny, forbid wins, erroring policies are skipped and reported.</summary>
public static class Authorizer
{
    /// <summary>Authorizes a request against a policy set and entity data.</summary>
    public static AuthorizationResponse IsAuthorized(AuthorizationRequest request, PolicySet policies, EntityStore entities)
    {
        var ctx = new EvaluationContext(request.Principal, request.Action, request.Resource, request.Context, entities);
        List<string>? permits = null;
        List<string>? forbids = null;
        List<PolicyEvaluationError>? errors = null;
        foreach (var p in policies.Policies)
        {
            bool satisfied;
            try
            {
                satisfied = p.IsSatisfied(ctx);
            }
            catch (EvaluationException ex)
            {
                (errors ??= []).Add(new PolicyEvaluationError(p.Id, ex.Message));
                continue;
            }

            if (satisfied)
            {
                if (p.Effect == Effect.Forbid)
                {
                    (forbids ??= []).Add(p.Id);
                }
                else
                {
                    (permits ??= []).Add(p.Id);
                }
            }
        }

        IReadOnlyList<PolicyEvaluationError> errs = errors is null ? [] : errors;
        if (forbids is not null)
        {
            return new AuthorizationResponse(Decision.Deny, forbids, errs);
        }

        return permits is not null ? new AuthorizationResponse(Decision.Allow, permits, errs) : new AuthorizationResponse(Decision.Deny, [], errs);
    }
}
