using Warden.Policy.Ast;
using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy;

/// <summary>
/// One parsed Cedar policy (or template, when a scope uses a slot). Immutable; evaluation checks the scope
/// directly and then the conditions in order.
/// </summary>
public sealed class CedarPolicy
{
    // Arrays rather than interface-typed lists so the hot loops do not box enumerators.
    private readonly Condition[] _conditions;
    private readonly EntityUid[] _actions;
    private Expr? _expr;

    /// <summary>Creates a policy.</summary>
    public CedarPolicy(
        string id,
        Effect effect,
        ScopeConstraint principal,
        ActionConstraint action,
        ScopeConstraint resource,
        IReadOnlyList<Condition> conditions,
        IReadOnlyDictionary<string, string>? annotations = null,
        string? templateId = null)
    {
        Id = id;
        Effect = effect;
        Principal = principal;
        Action = action;
        Resource = resource;
        Conditions = conditions;
        _conditions = [.. conditions];
        _actions = [.. action.Entities];
        Annotations = annotations ?? new Dictionary<string, string>(StringComparer.Ordinal);
        TemplateId = templateId;
    }

    /// <summary>The policy id (<c>policy0</c>, <c>policy1</c>, ... by position when parsed from text).</summary>
    public string Id { get; }

    /// <summary>Permit or forbid.</summary>
    public Effect Effect { get; }

    /// <summary>The principal scope.</summary>
    public ScopeConstraint Principal { get; }

    /// <summary>The action scope.</summary>
    public ActionConstraint Action { get; }

    /// <summary>The resource scope.</summary>
    public ScopeConstraint Resource { get; }

    /// <summary>The when/unless clauses in order.</summary>
    public IReadOnlyList<Condition> Conditions { get; }

    /// <summary>Annotations such as <c>@id("x")</c>; a bare <c>@name</c> maps to the empty string.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; }

    /// <summary>For a linked policy, the template it came from.</summary>
    public string? TemplateId { get; }

    /// <summary>Whether this is an unlinked template (a scope uses a slot).</summary>
    public bool IsTemplate => Principal.Slot is not null || Resource.Slot is not null;

    /// <summary>
    /// The whole policy as one boolean expression, in Cedar's canonical form:
    /// <c>principalScope &amp;&amp; (actionScope &amp;&amp; (resourceScope &amp;&amp; (c1 &amp;&amp; (... &amp;&amp; true))))</c>.
    /// Used by the validator.
    /// </summary>
    public Expr ToExpr() => _expr ??= BuildExpr();

    /// <summary>
    /// Evaluates the policy: true when satisfied. Throws <see cref="EvaluationException"/> when a condition errors.
    /// </summary>
    public bool IsSatisfied(in EvaluationContext ctx) => ActionMatches(ctx.Action, ctx.Entities) && IsSatisfiedForMatchingAction(ctx);

    /// <summary>
    /// <see cref="IsSatisfied"/> for a caller that already knows the action scope matches (the authorizer's
    /// index only hands out such policies).
    /// </summary>
    internal bool IsSatisfiedForMatchingAction(in EvaluationContext ctx)
    {
        if (!ScopeMatches(Principal, ctx.Principal, ctx) || !ScopeMatches(Resource, ctx.Resource, ctx))
        {
            return false;
        }

        foreach (var c in _conditions)
        {
            var v = c.Body.Evaluate(ctx);
            if (v is not BoolValue b)
            {
                throw new EvaluationException($"type error: condition must be bool, got {v.TypeName}");
            }

            if (b.Value != c.IsWhen)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Links a template by filling its slots, producing a static policy.</summary>
    public CedarPolicy Link(string newId, EntityUid? principal, EntityUid? resource)
    {
        return new CedarPolicy(newId, Effect, Fill(Principal, principal, "?principal"), Action, Fill(Resource, resource, "?resource"), Conditions, Annotations, Id);

        static ScopeConstraint Fill(ScopeConstraint s, EntityUid? value, string name)
        {
            if (s.Slot is null)
            {
                return s;
            }

            return s with { Entity = value ?? throw new ArgumentException($"no value for {name}"), Slot = null };
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Concat(Annotations.Select(a => $"@{a.Key}({StringValue.Quote(a.Value)}) ")) + $"{(Effect == Effect.Permit ? "permit" : "forbid")}({ScopeText("principal", Principal)}, {ActionText()}, {ScopeText("resource", Resource)}){string.Concat(Conditions.Select(c => (c.IsWhen ? " when { " : " unless { ") + c.Body + " }"))};";

    private static bool ScopeMatches(ScopeConstraint s, EntityUid uid, in EvaluationContext ctx)
    {
        switch (s.Kind)
        {
            case ScopeKind.Any:
                return true;
            case ScopeKind.Eq:
                return uid.Equals(Bound(s));
            case ScopeKind.In:
                return ctx.IsIn(uid, Bound(s));
            case ScopeKind.Is:
                return string.Equals(uid.Type, s.EntityType, StringComparison.Ordinal);
            default:
                return string.Equals(uid.Type, s.EntityType, StringComparison.Ordinal) && ctx.IsIn(uid, Bound(s));
        }
    }

    private static EntityUid Bound(ScopeConstraint s) => s.Entity ?? throw new EvaluationException("unlinked template slot");

    /// <summary>Whether the action scope admits <paramref name="action"/> given the entity hierarchy.</summary>
    internal bool ActionMatches(EntityUid action, Entities.EntityStore entities)
    {
        switch (Action.Kind)
        {
            case ActionScopeKind.Any:
                return true;
            case ActionScopeKind.Eq:
                return action.Equals(Action.Entities[0]);
            default:
                foreach (var a in _actions)
                {
                    if (entities.IsIn(action, a))
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    private static Expr ScopeExpr(ScopeConstraint s, Variable v)
    {
        var var = new VariableExpr(v);
        Expr Target() => s.Entity is not null ? new LiteralExpr(s.Entity) : new SlotExpr(s.Slot!.Value);
        return s.Kind switch
        {
            ScopeKind.Any => new LiteralExpr(BoolValue.True),
            ScopeKind.Eq => new BinaryExpr(BinaryOp.Eq, var, Target()),
            ScopeKind.In => new BinaryExpr(BinaryOp.In, var, Target()),
            ScopeKind.Is => new IsExpr(var, s.EntityType!),
            _ => new AndExpr(new IsExpr(var, s.EntityType!), new BinaryExpr(BinaryOp.In, var, Target())),
        };
    }

    private Expr BuildExpr()
    {
        var action = new VariableExpr(Variable.Action);
        Expr actionExpr = Action.Kind switch
        {
            ActionScopeKind.Any => new LiteralExpr(BoolValue.True),
            ActionScopeKind.Eq => new BinaryExpr(BinaryOp.Eq, action, new LiteralExpr(Action.Entities[0])),
            ActionScopeKind.In => new BinaryExpr(BinaryOp.In, action, new LiteralExpr(Action.Entities[0])),
            _ => new BinaryExpr(BinaryOp.In, action, new SetExpr([.. Action.Entities.Select(e => (Expr)new LiteralExpr(e))])),
        };
        Expr conds = new LiteralExpr(BoolValue.True);
        for (var i = Conditions.Count - 1; i >= 0; i--)
        {
            var c = Conditions[i];
            conds = new AndExpr(c.IsWhen ? c.Body : new UnaryExpr(UnaryOp.Not, c.Body), conds);
        }

        return new AndExpr(ScopeExpr(Principal, Variable.Principal), new AndExpr(actionExpr, new AndExpr(ScopeExpr(Resource, Variable.Resource), conds)));
    }

    private static string ScopeText(string var, ScopeConstraint s)
    {
        var target = s.Entity?.ToString() ?? (s.Slot == SlotKind.Principal ? "?principal" : "?resource");
        return s.Kind switch
        {
            ScopeKind.Any => var,
            ScopeKind.Eq => $"{var} == {target}",
            ScopeKind.In => $"{var} in {target}",
            ScopeKind.Is => $"{var} is {s.EntityType}",
            _ => $"{var} is {s.EntityType} in {target}",
        };
    }

    private string ActionText() => Action.Kind switch
    {
        ActionScopeKind.Any => "action",
        ActionScopeKind.Eq => $"action == {Action.Entities[0]}",
        ActionScopeKind.In => $"action in {Action.Entities[0]}",
        _ => $"action in [{string.Join(", ", Action.Entities)}]",
    };
}
