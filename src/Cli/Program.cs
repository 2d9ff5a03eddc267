using System.Text;
using GqaGen.Cli;
using Spectre.Console;

Console.OutputEncoding = Encoding.UTF8;
return CliApp.Run(args, Console.Out, Console.Error, Console.IsOutputRedirected ? CliApp.CreatePlainConsole(Console.Out) : AnsiConsole.Console);
