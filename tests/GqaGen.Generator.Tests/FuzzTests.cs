using GqaGen.Generator.Tests.Fuzz;
using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace GqaGen.Generator.Tests;

/// <summary>
/// Seeded fuzzing of [GqaLayout] declarations: every case must run without a generator exception; a case that
/// the layout rules call valid must produce no diagnostic and output that compiles with zero errors and zero
/// warnings; any other case must produce at least one GQA diagnostic.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>Fixed, so that a failure names a case that can be reproduced by its index.</summary>
    private const int Seed = 12345;

    private const int CaseCount = 2000;

    /// <summary>Valid cases are compiled together, this many per compilation: one compilation per case would dominate the run time.</summary>
    private const int CasesPerCompilation = 40;

    /// <summary>Failures listed in the assertion message; the rest are counted.</summary>
    private const int FailuresShown = 8;

    [Fact]
    public void Random_declarations_never_crash_and_are_accepted_exactly_when_valid()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var factory = new FuzzCaseFactory(Seed);
        FuzzCase[] cases = Enumerable.Range(0, CaseCount).Select(factory.Next).ToArray();

        // Cases are independent (own driver, own compilation), so they run on every core; the draw above stays sequential and seeded.
        var runs = new GeneratorRun[CaseCount];
        Parallel.For(0, CaseCount, i => runs[i] = GeneratorHarness.Run(TestCompilations.Empty.AddSyntaxTrees(TestCompilations.Parse(cases[i].Render(), cases[i].FilePath))));
        TimeSpan generating = watch.Elapsed;

        var failures = new List<string>();
        var toCompile = new List<(FuzzCase Case, IEnumerable<SyntaxTree> Trees)>();
        var seenIds = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < CaseCount; i++)
        {
            seenIds.UnionWith(runs[i].GqaDiagnostics.Select(d => d.Id));
            if (CheckRun(cases[i], runs[i]) is { } failure)
                failures.Add($"{cases[i]}=> {failure}");
            // Duplicates still emit the first layout; that output must compile as cleanly as a valid case's.
            if (cases[i].IsValidIgnoringDuplicates && runs[i].GeneratorResult.Exception is null)
                // Each case's registry declares the same class, so registries stay out of the shared compilation
                // (RegistryTests compiles them).
                toCompile.Add((cases[i], runs[i].Output.SyntaxTrees.Where(t => !t.FilePath.EndsWith(Emit.RegistryEmitter.HintName, StringComparison.Ordinal))));
        }

        var compileFailures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(toCompile.Chunk(CasesPerCompilation), batch =>
        {
            foreach (string failure in CompileTogether(batch))
                compileFailures.Add(failure);
        });
        failures.AddRange(compileFailures.Order(StringComparer.Ordinal));

        int validCount = cases.Count(c => c.IsValid);
        output.WriteLine($"{CaseCount} cases: {validCount} valid, {CaseCount - validCount} invalid, {toCompile.Count} compiled; GQA ids seen: {string.Join(", ", seenIds)}.");
        output.WriteLine($"Generator runs took {generating.TotalSeconds:0.0} s; compiling the output {(watch.Elapsed - generating).TotalSeconds:0.0} s.");
        Assert.True(failures.Count == 0,
            $"{failures.Count} fuzz failures (seed {Seed}); the first ones:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(FailuresShown))}");

        // Guard against a fuzzer that drifted into testing only one side.
        Assert.InRange(validCount, CaseCount / 5, CaseCount * 4 / 5);
        Assert.Subset(seenIds, new SortedSet<string> { "GQA001", "GQA002", "GQA003", "GQA004", "GQA005", "GQA006", "GQA007", "GQA008", "GQA009", "GQA011", "GQA012", "GQA013" });
        // And the options: valid cases that set them, so their emitted code is compiled too.
        Assert.Contains(cases, c => c.IsValid && c.SlidingWindow is not null && c.KvElementTypes is not null);
    }

    /// <summary>Checks one generator run against the case's expectation; returns why it fails, or null.</summary>
    private static string? CheckRun(FuzzCase fuzzCase, GeneratorRun run)
    {
        if (run.GeneratorResult.Exception is { } exception)
            return "the generator threw " + exception;
        if (run.DriverDiagnostics.Any(d => d.Id is "CS8785" or "AD0001"))
            return "the driver reported a generator failure:" + GeneratorRun.Describe(run.DriverDiagnostics);

        if (fuzzCase.IsValid)
        {
            if (!run.GeneratorResult.Diagnostics.IsEmpty)
                return "a valid layout got diagnostics:" + GeneratorRun.Describe(run.GeneratorResult.Diagnostics);
            if (run.GeneratedSources.Length != 1)
                return $"a valid layout produced {run.GeneratedSources.Length} sources instead of 1";
            return null;
        }

        if (run.GqaDiagnostics.IsEmpty)
            return "an invalid layout got no GQA diagnostic";
        return run.GqaDiagnostics.Select(d => DiagnosticAssert.LocationProblem(d, run.Output)).FirstOrDefault(problem => problem is not null);
    }

    /// <summary>Compiles several cases' sources and generated sources in one compilation (their names never collide) and blames each problem on its case.</summary>
    private static IEnumerable<string> CompileTogether((FuzzCase Case, IEnumerable<SyntaxTree> Trees)[] batch)
    {
        var caseOfFile = new Dictionary<string, FuzzCase>(StringComparer.Ordinal);
        foreach ((FuzzCase fuzzCase, IEnumerable<SyntaxTree> trees) in batch)
        {
            foreach (SyntaxTree tree in trees)
                caseOfFile[tree.FilePath] = fuzzCase;
        }

        Compilation compilation = TestCompilations.Empty.AddSyntaxTrees(batch.SelectMany(entry => entry.Trees));
        return compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .GroupBy(d => d.Location.SourceTree?.FilePath is { } path && caseOfFile.TryGetValue(path, out FuzzCase? owner) ? owner : null)
            .Select(group => $"{(group.Key is null ? "(no case) " : group.Key.ToString())}=> its output does not compile cleanly:{GeneratorRun.Describe(group)}");
    }
}
