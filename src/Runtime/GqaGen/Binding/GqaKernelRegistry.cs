using System.Diagnostics.CodeAnalysis;

namespace GqaGen;

/// <summary>
/// The generated kernels of every loaded assembly, by layout. The generator emits a module initializer into each
/// assembly with [GqaLayout] types that registers them here, so nothing has to be listed by hand.
/// </summary>
/// <remarks>
/// <para>A module initializer runs when its assembly is first used. Layouts declared in a library the program
/// never otherwise touches are registered by calling
/// <c>RuntimeHelpers.RunModuleConstructor(typeof(MyLayout).Module.ModuleHandle)</c> (or by naming any of its types)
/// before loading a model.</para>
/// <para>Kernels are looked up by shape. Several layouts of one shape may be registered (say one with a sliding window
/// and one without, or ones compiled for different storage types); a lookup then answers with, in this order of
/// preference: a layout without a sliding window (it decodes caches of any window, applying each cache's own, where a
/// windowed layout accepts only caches of its window); one compiled for the requested storage type; the first registered.</para>
/// </remarks>
public static class GqaKernelRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<GqaShape, List<GqaAttention>> ByShape = [];
    private static readonly List<GqaAttention> InOrder = [];

    /// <summary>Every registered generated kernel, in registration order (one per layout type).</summary>
    public static IReadOnlyList<GqaAttention> All
    {
        get
        {
            lock (Gate)
                return InOrder.ToArray();
        }
    }

    /// <summary>Registers <paramref name="kernels"/>; a kernel of a layout type registered already (same name and shape) is skipped.</summary>
    public static void Register(IEnumerable<GqaAttention> kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        GqaAttention[] list = kernels.ToArray(); // enumerated outside the lock, and checked whole before anything is added
        if (Array.IndexOf(list, null) is int at and >= 0)
            throw new ArgumentException($"Kernel {at} of the {list.Length} to register is null.", nameof(kernels));
        lock (Gate)
        {
            foreach (GqaAttention kernel in list)
            {
                if (!ByShape.TryGetValue(kernel.Shape, out List<GqaAttention>? ofShape))
                    ByShape.Add(kernel.Shape, ofShape = []);
                if (ofShape.Exists(registered => registered.Name == kernel.Name))
                    continue;
                ofShape.Add(kernel);
                InOrder.Add(kernel);
            }
        }
    }

    /// <summary>The generated kernel registered for <paramref name="shape"/>, if any (see the remarks for which one, when several are).</summary>
    public static bool TryGet(GqaShape shape, [NotNullWhen(true)] out GqaAttention? kernel)
    {
        kernel = Best(shape, elementType: null);
        return kernel is not null;
    }

    /// <summary>
    /// The kernel for <paramref name="shape"/> under <paramref name="choice"/>. When <see cref="GqaKernelChoice.Auto"/>
    /// falls back to the generic kernel, <paramref name="warning"/> says so in one line with the attribute to add.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no kernel is registered for the layout.</exception>
    public static GqaAttention Resolve(GqaShape shape, GqaKernelChoice choice, out string? warning)
        => Resolve(shape, choice, elementType: null, out warning);

    /// <summary>
    /// The kernel for <paramref name="shape"/> and caches storing <paramref name="elementType"/> under <paramref name="choice"/>.
    /// <paramref name="warning"/> says in one line when the generic kernel runs instead of a generated one: no layout of the
    /// shape is registered (under <see cref="GqaKernelChoice.Auto"/>, with the attribute to add), or the one found is not
    /// compiled for <paramref name="elementType"/> (it decodes such caches through the generic kernel).
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no kernel is registered for the layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="choice"/> or <paramref name="elementType"/> is not a defined value.</exception>
    public static GqaAttention Resolve(GqaShape shape, GqaKernelChoice choice, KvElementType elementType, out string? warning)
        => Resolve(shape, choice, (KvElementType?)elementType, out warning);

    private static GqaAttention Resolve(GqaShape shape, GqaKernelChoice choice, KvElementType? elementType, out string? warning)
    {
        warning = null;
        if (!Enum.IsDefined(choice))
            throw new ArgumentOutOfRangeException(nameof(choice), choice, $"Unknown kernel choice; expected one of {string.Join(", ", Enum.GetNames<GqaKernelChoice>())}.");
        if (elementType is { } type && !Enum.IsDefined(type))
            throw new ArgumentOutOfRangeException(nameof(elementType), type, $"Unknown KV element type; expected one of {string.Join(", ", Enum.GetNames<KvElementType>())}.");
        if (choice == GqaKernelChoice.Generic)
            return GqaAttention.Generic(shape);
        if (Best(shape, elementType) is { } generated)
        {
            if (elementType is { } stored && !generated.Covers(stored))
                warning = $"warning: the generated {generated.Name} ({shape}) is not compiled for {stored.ShortName()} caches and runs the generic kernel on them; "
                          + $"for the generated one, add KvElementTypes.{stored} to its [GqaLayout] (or leave KvElementTypes out) and rebuild.";
            return generated;
        }
        string advice = $"add `{GqaAttention.AttributeLineFor(shape)} public partial struct MyModel;` to your project and rebuild";
        if (choice == GqaKernelChoice.Generated)
            throw new InvalidOperationException($"No generated kernel is registered for the layout {shape}; {advice}.");
        warning = $"warning: no [GqaLayout] matches {shape}, running the generic kernel; for the generated one, {advice}.";
        return GqaAttention.Generic(shape);
    }

    /// <summary>The registered kernel of <paramref name="shape"/> that ranks first (see the remarks), or null.</summary>
    private static GqaAttention? Best(GqaShape shape, KvElementType? elementType)
    {
        lock (Gate)
        {
            if (!ByShape.TryGetValue(shape, out List<GqaAttention>? ofShape))
                return null;
            GqaAttention? best = null;
            foreach (GqaAttention kernel in ofShape)
            {
                if (best is null || Rank(kernel) < Rank(best))
                    best = kernel;
            }
            return best;
        }

        // Lower is better; ties keep the first registered.
        int Rank(GqaAttention kernel)
            => (kernel.SlidingWindow == 0 ? 0 : 2) + (elementType is { } type && !kernel.Covers(type) ? 1 : 0);
    }
}
