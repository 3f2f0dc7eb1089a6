using Warden.Policy.Ast;
using Warden.Policy.Entities;
using Warden.Policy.Evaluation;
using Warden.Policy.Json;
using Warden.Policy.Values;

namespace Warden.Policy.Tests;

internal static class TestHelpers
{
    public static readonly EntityUid Alice = new("User", "alice");
    public static readonly EntityUid View = new("Action", "view");
    public static readonly EntityUid Photo = new("Photo", "p1");

    public static EvaluationContext Context(EntityStore? entities = null, RecordValue? context = null) =>
        new(Alice, View, Photo, context ?? RecordValue.Empty, entities ?? EntityStore.Empty);

    public static Value Eval(string expr, EntityStore? entities = null, RecordValue? context = null) =>
        Expr.Parse(expr).Evaluate(Context(entities, context));

    public static void EvalTrue(string expr, EntityStore? entities = null) => Eval(expr, entities).ShouldBe(BoolValue.True, expr);

    public static void EvalFalse(string expr, EntityStore? entities = null) => Eval(expr, entities).ShouldBe(BoolValue.False, expr);

    public static void EvalError(string expr, EntityStore? entities = null) =>
        Should.Throw<EvaluationException>(() => Eval(expr, entities), expr);

    public static EntityStore LoadEntities(string json) => CedarJson.ParseEntities(json);
}
