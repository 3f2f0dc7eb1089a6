namespace Warden.Server.Sessions;

/// <summary>How the session runner behaves.</summary>
public sealed record SessionRunnerOptions
{
    /// <summary>
    /// Whether this server runs sessions. When false it claims none: sessions stay as the store has them, while the API
    /// and pages still create, show, cancel and approve them. For a server that only serves people while others
    /// (sharing the database) run the agents, and for tests that write transcripts through the store themselves.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Sessions one server runs at once; more wait queued.</summary>
    public int MaxConcurrent { get; init; } = 500;

    /// <summary>How long a runner's claim on a session lasts without renewal; after a crash, another start resumes it then.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often the runner looks for queued sessions when nothing told it of one.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The model's context window, in tokens; the conversation is compacted before it fills.</summary>
    public int ContextWindowTokens { get; init; } = 128_000;

    /// <summary>Share of the window at which older turns are summarised.</summary>
    public double CompactAt { get; init; } = 0.7;

    /// <summary>Tool output handed to the model per call, in characters (head and tail kept).</summary>
    public int ModelOutputChars { get; init; } = 16_000;

    /// <summary>Tool output stored in the transcript per call, in characters (head and tail kept).</summary>
    public int StoredOutputChars { get; init; } = 64_000;

    /// <summary>Repository instruction files read into the system prompt, first found first.</summary>
    public IReadOnlyList<string> InstructionFiles { get; init; } = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md", ".cursorrules"];

    /// <summary>The commit author's e-mail domain (the agent's address is <c>agent+&lt;session&gt;@domain</c>).</summary>
    public string AuthorDomain { get; init; } = "warden.invalid";

    /// <summary>How often a session that found no free worker in its pool asks again.</summary>
    public TimeSpan WorkerRetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Sub-agents a session may start (0 turns the tool off).</summary>
    public int MaxSubagents { get; init; } = 4;
}
