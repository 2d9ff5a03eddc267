namespace GqaGen.Generator.Tests.Fuzz;

/// <summary>
/// Draws <see cref="FuzzCase"/>s from a seeded <see cref="Random"/>. Half are drawn freely from the edge-value pool;
/// the other half start from a valid layout and maybe break one thing, because free draws are almost never
/// valid and the valid path (emitted code must compile cleanly) needs as much coverage as the invalid one.
/// </summary>
internal sealed class FuzzCaseFactory(int seed)
{
    /// <summary>Edge values for every argument: the int limits, zero and one, the supported maxima and one past them, primes, powers of two.</summary>
    private static readonly int[] EdgeValues = [int.MinValue, -1, 0, 1, 2, 3, 4, 7, 8, 16, 17, 64, 71, 128, 512, 513, 1024, 1025, int.MaxValue];

    /// <summary>
    /// Head dimensions for the mostly-valid cases: small ones keep compiling the emitted code cheap (its vector
    /// paths are unrolled over HeadDim, and compiling them is most of this test's time); odd ones exercise the tails.
    /// </summary>
    private static readonly int[] SmallHeadDims = [1, 2, 3, 8, 16, 17, 64];

    private static readonly int[] LargeHeadDims = [80, 96, 128, 200, 256, 511, 512];

    private static readonly DeclarationKind[] TargetKinds = Enum.GetValues<DeclarationKind>();

    private static readonly DeclarationKind[] ContainerKinds =
        [DeclarationKind.Class, DeclarationKind.Struct, DeclarationKind.Record, DeclarationKind.RecordStruct, DeclarationKind.StaticClass];

    /// <summary>
    /// SlidingWindow expressions: positive constants are valid; zero, negatives, other types (a long, a double, a
    /// string, null: compiler errors too) and a value that is not constant are not. "Sizes." names the case's helper class.
    /// </summary>
    private static readonly OptionArgument[] Windows =
    [
        new("1", true), new("4096", true), new("131072", true), new("int.MaxValue", true), new("Sizes.Window", true), new("Sizes.Window * 2", true),
        new("0", false), new("-1", false), new("int.MinValue", false), new("-Sizes.Window", false),
        new("4096L", false), new("2.5", false), new("\"4096\"", false), new("null", false), new("true", false), new("Sizes.NotConstant", false),
    ];

    /// <summary>
    /// KvElementTypes expressions: non-empty combinations of the four flags are valid, also written as casts of
    /// integers (the user's explicit choice); None (however written), unknown bits, a bare integer (converts only with
    /// a cast), the wrong enum, other types and a value that is not constant are not.
    /// </summary>
    private static readonly OptionArgument[] StorageTypes =
    [
        new("KvElementTypes.All", true), new("KvElementTypes.Float32", true), new("KvElementTypes.Q8_0", true),
        new("KvElementTypes.Float16 | KvElementTypes.Q8_0", true), new("KvElementTypes.All & ~KvElementTypes.Float32", true),
        new("(KvElementTypes)3", true), new("(KvElementTypes)15", true), new("(KvElementTypes)(1 << 2)", true), new("Sizes.Halves", true),
        new("KvElementTypes.None", false), new("0", false), new("(KvElementTypes)0", false), new("default", false),
        new("(KvElementTypes)16", false), new("(KvElementTypes)(-1)", false), new("~KvElementTypes.Float32", false), new("(KvElementTypes)int.MinValue", false),
        new("3", false), new("KvElementType.Float16", false), new("\"All\"", false), new("null", false), new("1.5", false),
        new("Sizes.NotConstantTypes", false), new("Sizes.NotConstant", false),
    ];

    private readonly Random _random = new(seed);

    /// <summary>Three in five cases are free draws; the rest start valid. About a quarter of all cases end up valid.</summary>
    public FuzzCase Next(int index) => Chance(0.6) ? Free(index) : NearlyValid(index);

    private FuzzCase Free(int index)
    {
        bool isPartial = Chance(0.8);
        return new FuzzCase(
            index,
            Heads: Maybe(AnyValue()),
            KvGroups: Maybe(AnyValue()),
            HeadDim: Maybe(AnyValue()),
            Target: Pick(TargetKinds),
            IsPartial: isPartial,
            IsGeneric: Chance(0.1),
            Containers: Containers(partialChance: 0.8, genericChance: 0.1),
            Namespace: Pick(Enum.GetValues<NamespaceStyle>()),
            Duplicate: Duplicate(isPartial, chance: 0.15),
            ArgumentOrderSeed: _random.Next(),
            SlidingWindow: Chance(0.3) ? Pick(Windows) : null,
            KvElementTypes: Chance(0.3) ? Pick(StorageTypes) : null);
    }

    private FuzzCase NearlyValid(int index)
    {
        int heads = Chance(0.5) ? Pick(EdgeValues.Where(v => v is >= 1 and <= 1024).ToArray()) : _random.Next(1, 1025);
        int[] divisors = Enumerable.Range(1, heads).Where(g => heads % g == 0).ToArray();
        var valid = new FuzzCase(
            index,
            heads,
            Pick(divisors),
            Chance(0.9) ? Pick(SmallHeadDims) : Pick(LargeHeadDims),
            Target: Pick([DeclarationKind.Class, DeclarationKind.Struct, DeclarationKind.Record, DeclarationKind.RecordStruct]),
            IsPartial: true,
            IsGeneric: false,
            Containers: Containers(partialChance: 1, genericChance: 0),
            Namespace: Pick(Enum.GetValues<NamespaceStyle>()),
            Duplicate: DuplicateStyle.None,
            ArgumentOrderSeed: _random.Next(),
            SlidingWindow: Chance(0.3) ? Pick(Windows.Where(w => w.IsValid).ToArray()) : null,
            KvElementTypes: Chance(0.3) ? Pick(StorageTypes.Where(t => t.IsValid).ToArray()) : null);
        return Chance(0.3) ? BreakOneThing(valid) : valid;
    }

    private FuzzCase BreakOneThing(FuzzCase valid) => _random.Next(11) switch
    {
        9 => valid with { SlidingWindow = Pick(Windows.Where(w => !w.IsValid).ToArray()) },
        10 => valid with { KvElementTypes = Pick(StorageTypes.Where(t => !t.IsValid).ToArray()) },
        0 => valid with { Heads = Maybe(AnyValue()) },
        1 => valid with { KvGroups = Maybe(AnyValue()) },
        2 => valid with { HeadDim = Maybe(AnyValue()) },
        3 => valid with { IsPartial = false },
        4 => valid with { IsGeneric = true },
        5 => valid with { Target = Pick([DeclarationKind.StaticClass, DeclarationKind.Interface]) },
        6 => valid with { Containers = [.. valid.Containers, new Container(Pick(ContainerKinds), IsPartial: Chance(0.5), IsGeneric: Chance(0.5))] },
        7 => valid with { Duplicate = Duplicate(isPartial: true, chance: 1) },
        _ => valid with { Heads = null, KvGroups = Chance(0.5) ? null : valid.KvGroups },
    };

    private IReadOnlyList<Container> Containers(double partialChance, double genericChance)
    {
        int depth = _random.Next(4) switch { 0 or 1 => 0, 2 => 1, _ => 2 };
        return Enumerable.Range(0, depth)
            .Select(_ => new Container(Pick(ContainerKinds), Chance(partialChance), Chance(genericChance)))
            .ToArray();
    }

    /// <summary>A second partial declaration exists only if the type is partial; otherwise the duplicate goes on the one declaration.</summary>
    private DuplicateStyle Duplicate(bool isPartial, double chance)
    {
        if (!Chance(chance))
            return DuplicateStyle.None;
        return isPartial && Chance(0.5) ? DuplicateStyle.SecondPartialDeclaration : DuplicateStyle.SameDeclaration;
    }

    private int AnyValue() => _random.Next(4) switch
    {
        0 => _random.Next(int.MinValue, int.MaxValue),
        1 => _random.Next(-4, 2100),
        _ => Pick(EdgeValues),
    };

    /// <summary>Leaves the argument out about one time in ten.</summary>
    private int? Maybe(int value) => Chance(0.1) ? null : value;

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
