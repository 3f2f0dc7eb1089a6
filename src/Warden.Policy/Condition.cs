using Warden.Policy.Ast;

namespace Warden.Policy;

/// <summary>A <c>when</c> (IsWhen) or <c>unless</c> clause.</summary>
/// <param name="IsWhen">True for <c>when</c>, false for <c>unless</c>.</param>
/// <param name="Body">The clause expression.</param>
public sealed record Condition(bool IsWhen, Expr Body);
