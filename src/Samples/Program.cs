using System.CommandLine;
using GqaGen.Samples;

// dotnet run -c Release --project src/Samples                 → the sample layouts' accuracy and speed table
// dotnet run -c Release --project src/Samples -- generate ... → text generation with the Llama decoder
// dotnet run -c Release --project src/Samples -- chat ...     → a conversation through the IChatClient (one turn per stdin line)
var root = new RootCommand("GqaGen samples: the generated kernels of the sample layouts, and a Llama decoder running on them.");
root.SetAction(_ => LayoutsCommand.Run());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
return root.Parse(args).Invoke();
