using Warden.Sandbox.Tests.Support;
using Warden.Sandbox.Tools;

namespace Warden.Sandbox.Tests.Tools;

[Collection(SandboxCollection.Name)]
public sealed class WorkspaceToolsTests(SandboxFixture fixture)
{
    [Fact]
    public async Task ReadFile_ReturnsLineRanges_CapsSize_AndDetectsBinaries()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("lines.txt"), string.Concat(Enumerable.Range(1, 100).Select(i => $"line {i}\n")));
        await File.WriteAllBytesAsync(workspace.PathOf("blob.bin"), [1, 2, 0, 3]);
        var tools = new WorkspaceTools(workspace.Path, new WorkspaceToolsOptions { MaxReadBytes = 40 });

        var range = await tools.ReadFileAsync("lines.txt", startLine: 10, lineCount: 3);
        range.Content.ShouldBe("line 10\nline 11\nline 12\n");
        range.StartLine.ShouldBe(10);
        range.EndLine.ShouldBe(12);
        range.TotalLines.ShouldBe(100);
        range.Truncated.ShouldBeFalse();

        var capped = await tools.ReadFileAsync("lines.txt");
        capped.Truncated.ShouldBeTrue();
        capped.Content.Length.ShouldBeLessThanOrEqualTo(40);
        capped.StartLine.ShouldBe(1);

        var binary = await tools.ReadFileAsync("blob.bin");
        binary.IsBinary.ShouldBeTrue();
        binary.Content.ShouldBeEmpty();

        (await Should.ThrowAsync<WorkspaceToolException>(() => tools.ReadFileAsync("missing.txt"))).Error.ShouldBe(WorkspaceToolError.NotFound);
    }

    [Fact]
    public async Task WriteFile_CreatesFoldersAndReplacesContent()
    {
        using var workspace = fixture.NewWorkspace();
        var tools = new WorkspaceTools(workspace.Path);
        var created = await tools.WriteFileAsync("src/deep/new.cs", "class A {}\n");
        created.ShouldBe(new WriteFileResult("src/deep/new.cs", 11, true));
        var replaced = await tools.WriteFileAsync("src/deep/new.cs", "x");
        replaced.Created.ShouldBeFalse();
        (await File.ReadAllTextAsync(workspace.PathOf("src/deep/new.cs"))).ShouldBe("x");
    }

    [Fact]
    public async Task EditFile_AppliesAllEditsOrNone()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("a.txt"), "alpha\nbeta\ngamma\nbeta\n");
        var tools = new WorkspaceTools(workspace.Path);

        var result = await tools.EditFileAsync("a.txt", [new FileEdit("alpha", "ALPHA"), new FileEdit("beta", "BETA", ReplaceAll: true), new FileEdit("ALPHA\nBETA", "one")]);
        result.Replacements.ShouldBe(4);
        (await File.ReadAllTextAsync(workspace.PathOf("a.txt"))).ShouldBe("one\ngamma\nBETA\n");

        var ambiguous = await Should.ThrowAsync<WorkspaceToolException>(() => tools.EditFileAsync("a.txt", [new FileEdit("gamma", "G"), new FileEdit("\n", "x")]));
        ambiguous.Error.ShouldBe(WorkspaceToolError.EditAmbiguous);
        ambiguous.Message.ShouldContain("Edit 2");
        var missing = await Should.ThrowAsync<WorkspaceToolException>(() => tools.EditFileAsync("a.txt", [new FileEdit("gamma", "G"), new FileEdit("zeta", "x")]));
        missing.Error.ShouldBe(WorkspaceToolError.EditNotFound);
        (await File.ReadAllTextAsync(workspace.PathOf("a.txt"))).ShouldBe("one\ngamma\nBETA\n");
    }

    [Fact]
    public async Task EditFile_MatchesLfTextInACrlfFile()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("w.txt"), "a\r\nb\r\nc\r\n");
        var tools = new WorkspaceTools(workspace.Path);
        await tools.EditFileAsync("w.txt", [new FileEdit("a\nb", "x\ny")]);
        (await File.ReadAllTextAsync(workspace.PathOf("w.txt"))).ShouldBe("x\r\ny\r\nc\r\n");
    }

    [Fact]
    public async Task ApplyPatch_ModifiesAddsAndDeletesFiles()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("m.txt"), string.Concat(Enumerable.Range(1, 20).Select(i => $"{i}\n")));
        await File.WriteAllTextAsync(workspace.PathOf("gone.txt"), "bye\n");
        var tools = new WorkspaceTools(workspace.Path);
        var patch = """
            diff --git a/m.txt b/m.txt
            index 1111111..2222222 100644
            --- a/m.txt
            +++ b/m.txt
            @@ -2,3 +2,3 @@
             2
            -3
            +three
             4
            @@ -17,3 +17,4 @@ section
             17
             18
            +18.5
             19
            diff --git a/new.txt b/new.txt
            new file mode 100644
            --- /dev/null
            +++ b/new/new.txt
            @@ -0,0 +1,2 @@
            +hello
            +world
            --- a/gone.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -bye

            """;
        var result = await tools.ApplyPatchAsync(patch);
        result.Files.ShouldBe([
            new PatchedFile("m.txt", PatchFileChange.Modified, 2),
            new PatchedFile("new/new.txt", PatchFileChange.Added, 1),
            new PatchedFile("gone.txt", PatchFileChange.Deleted, 1),
        ]);
        var text = await File.ReadAllTextAsync(workspace.PathOf("m.txt"));
        text.ShouldContain("2\nthree\n4\n");
        text.ShouldContain("18\n18.5\n19\n");
        (await File.ReadAllTextAsync(workspace.PathOf("new/new.txt"))).ShouldBe("hello\nworld\n");
        File.Exists(workspace.PathOf("gone.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task ApplyPatch_PlacesHunksByContextWhenLineNumbersDrift_AndHandlesNoNewlineAtEnd()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("f.txt"), "x\ny\na\nb\nc");
        var tools = new WorkspaceTools(workspace.Path);
        await tools.ApplyPatchAsync("--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+C\n");
        (await File.ReadAllTextAsync(workspace.PathOf("f.txt"))).ShouldBe("x\ny\na\nb\nC\n");
    }

    [Fact]
    public async Task ApplyPatch_IsAllOrNothing_AndNamesTheFailingHunk()
    {
        using var workspace = fixture.NewWorkspace();
        await File.WriteAllTextAsync(workspace.PathOf("one.txt"), "a\nb\nc\n");
        await File.WriteAllTextAsync(workspace.PathOf("two.txt"), "d\ne\nf\n");
        var tools = new WorkspaceTools(workspace.Path);
        var patch = "--- a/one.txt\n+++ b/one.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n--- a/two.txt\n+++ b/two.txt\n@@ -1,2 +1,2 @@\n d\n-e\n+E\n@@ -3,1 +3,1 @@\n-zzz\n+Z\n";
        var e = await Should.ThrowAsync<WorkspaceToolException>(() => tools.ApplyPatchAsync(patch));
        e.Error.ShouldBe(WorkspaceToolError.PatchFailed);
        e.Message.ShouldContain("hunk 2 (@@ -3,1 +3,1 @@)");
        e.Message.ShouldContain("two.txt");
        e.Message.ShouldContain("no file was changed");
        (await File.ReadAllTextAsync(workspace.PathOf("one.txt"))).ShouldBe("a\nb\nc\n");
        (await File.ReadAllTextAsync(workspace.PathOf("two.txt"))).ShouldBe("d\ne\nf\n");

        (await Should.ThrowAsync<WorkspaceToolException>(() => tools.ApplyPatchAsync("not a diff"))).Error.ShouldBe(WorkspaceToolError.PatchFailed);
        (await Should.ThrowAsync<WorkspaceToolException>(() => tools.ApplyPatchAsync("--- /dev/null\n+++ b/one.txt\n@@ -0,0 +1 @@\n+x\n"))).Message.ShouldContain("already exists");
    }

    [Fact]
    public async Task ListGlobAndSearch_SkipGitAndBinaries()
    {
        using var workspace = fixture.NewWorkspace();
        Directory.CreateDirectory(workspace.PathOf("src/a/b"));
        await File.WriteAllTextAsync(workspace.PathOf("src/Program.cs"), "class Program { // TODO fix\n}\n");
        await File.WriteAllTextAsync(workspace.PathOf("src/a/b/Deep.cs"), "// todo later\n");
        await File.WriteAllTextAsync(workspace.PathOf("src/a/notes.md"), "TODO docs\n");
        await File.WriteAllBytesAsync(workspace.PathOf("src/a/blob.bin"), [0, (byte)'T', (byte)'O', (byte)'D', (byte)'O']);
        var tools = new WorkspaceTools(workspace.Path);

        var list = tools.List(depth: 2);
        list.Entries.Select(e => e.Path).ShouldBe(["README.md", "src", "src/Program.cs", "src/a"]);
        list.Entries.Single(e => e.Path == "src/Program.cs").SizeBytes.ShouldBe(30);
        tools.List("src/a", depth: 1).Entries.Select(e => e.Path).ShouldBe(["src/a/b", "src/a/blob.bin", "src/a/notes.md"]);

        tools.Glob("**/*.cs").Paths.ShouldBe(["src/Program.cs", "src/a/b/Deep.cs"]);
        tools.Glob("src/*.cs").Paths.ShouldBe(["src/Program.cs"]);
        tools.Glob("*.{md,bin}").Paths.ShouldBe(["README.md", "src/a/blob.bin", "src/a/notes.md"]);
        tools.Glob("**/HEAD").Paths.ShouldBeEmpty();

        var search = await tools.SearchAsync("todo", ignoreCase: true);
        search.Matches.Select(m => $"{m.Path}:{m.Line}").ShouldBe(["src/Program.cs:1", "src/a/b/Deep.cs:1", "src/a/notes.md:1"]);
        (await tools.SearchAsync("TODO", glob: "**/*.cs")).Matches.Single().Path.ShouldBe("src/Program.cs");
        (await tools.SearchAsync("TODO|todo", maxResults: 2)).Truncated.ShouldBeTrue();
        (await tools.SearchAsync("ref: refs")).Matches.ShouldBeEmpty();
        (await Should.ThrowAsync<WorkspaceToolException>(() => tools.SearchAsync("("))).Error.ShouldBe(WorkspaceToolError.InvalidArgument);
    }

    [Fact]
    public async Task GitStatusAndDiff_RunInsideTheSandbox()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "git", WorkspaceDirectory = workspace.Path });
        var tools = WorkspaceTools.ForSession(session);
        await tools.WriteFileAsync("README.md", "hello\nworld\n");
        await tools.WriteFileAsync("added.txt", "new\n");

        var status = await tools.GitStatusAsync();
        status.Output.ShouldContain("## main");
        status.Output.ShouldContain(" M README.md");
        status.Output.ShouldContain("?? added.txt");

        var diff = await tools.GitDiffAsync();
        diff.Output.ShouldContain("+world");
        (await tools.GitDiffAsync(path: "added.txt")).Output.ShouldBeEmpty();
        (await tools.GitDiffAsync(staged: true)).Output.ShouldBeEmpty();
    }
}
