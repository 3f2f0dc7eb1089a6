namespace Warden.Models;

/// <summary>What went wrong with a model call, independent of wire format.</summary>
public enum ModelErrorKind
{
    /// <summary>The request is malformed or asks for something unsupported (400).</summary>
    InvalidRequest,

    /// <summary>No or a wrong credential (401).</summary>
    Authentication,

    /// <summary>The credential may not do this (403).</summary>
    PermissionDenied,

    /// <summary>The model or resource does not exist or is not visible (404).</summary>
    NotFound,

    /// <summary>The request body is too large (413).</summary>
    RequestTooLarge,

    /// <summary>Too many requests or tokens (429).</summary>
    RateLimited,

    /// <summary>A spending budget is used up (429).</summary>
    BudgetExceeded,

    /// <summary>The provider did not answer in time (504).</summary>
    Timeout,

    /// <summary>The provider failed or answered with something unusable (502).</summary>
    UpstreamError,

    /// <summary>The provider is temporarily overloaded (529 for Anthropic clients, 503 for OpenAI clients).</summary>
    Overloaded,
}
