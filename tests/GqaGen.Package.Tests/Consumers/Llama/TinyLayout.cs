using GqaGen;

namespace LlamaConsumer;

/// <summary>The attention layout of the tiny model Program.cs writes: 4 query heads share 2 K/V heads of 8 elements.</summary>
[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 8)]
public partial struct TinyLayout;
