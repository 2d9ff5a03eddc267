using BenchmarkDotNet.Configs;
using BenchmarkDotNet.ConsoleArguments;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using GqaGen.Bench;
using GqaGen.Bench.Peers;

// `decoder` runs the decoder's tokens/s harness instead of the BenchmarkDotNet suite.
if (args.Length > 0 && args[0] == "decoder")
    return DecoderBench.Run(args[1..]);
// `decoder-versus` runs GqaGen's decoder beside LLamaSharp and llama.cpp on one file.
if (args.Length > 0 && args[0] == "decoder-versus")
    return DecoderVersusBench.Run(args[1..]);
// `decode-alternated` runs the decode comparisons of issue 12 side by side in one process.
if (args.Length > 0 && args[0] == "decode-alternated")
    return DecodeAlternatedBench.Run(args[1..]);

// BenchmarkDotNet prints its usage for --help and an error and the usage for an unknown option, but then runs
// nothing and returns normally; parse first so that a bad command line exits with 2 (help and --version with 0).
if (!ConfigParser.Parse(args, ConsoleLogger.Default).isSuccess)
    return args.Any(a => a is "--help" or "-h" or "-?" or "--version") ? 0 : 2;

// The suite's default job (3 warm-up and 10 measured iterations, one launch) keeps the whole run near ten minutes.
// BenchmarkDotNet lets a default job in the global config override --job, so it is only added when the command
// line names no job: `--job Dry` (or Short, Medium…) then works as documented.
// The peer benchmarks' processes leave their correctness-gate outcomes (and shared reference outputs) in one folder per
// run, which the host's "Gate" column reads; child processes inherit the variable.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(GateLog.DirectoryVariable)))
{
    Environment.SetEnvironmentVariable(GateLog.DirectoryVariable,
        Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "peer-gate", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}")));
}

bool jobOnCommandLine = args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
IConfig config = BenchConfig.Create(jobOnCommandLine ? null : BenchConfig.SuiteJob);
BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, config);
return 0;
