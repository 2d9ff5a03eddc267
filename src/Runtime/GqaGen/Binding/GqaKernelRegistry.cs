using System.Diagnostics.CodeAnalysis;

namespace GqaGen;

/// <summary>
/// The generated kernels of every loaded assembly, by layout. The generator emits a module initializer into each
/// assembly with [GqaLayout] types that registers them here, so nothing has to be listed by hand.
/// </summary>
/// <remarks>A module initializer runs when its assembly is first used. Layouts declared in a library the program
/// never otherwise touches are registered by calling
/// <c>RuntimeHelpers.RunModuleConstructor(typeof(MyLayout).Module.ModuleHandle)</c> (or by naming any of its types)
/// before loading a model.</remarks>
public static class GqaKernelRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<GqaShape, GqaAttention> ByShape = [];
    private static readonly List<GqaAttention> InOrder = [];

    /// <summary>Every registered generated kernel, in registration order (one per layout).</summary>
    public static IReadOnlyList<GqaAttention> All
    {
        get
        {
            lock (Gate)
                return InOrder.ToArray();
        }
    }

    /// <summary>Registers <paramref name="kernels"/>; for a layout registered already, the first registration stays.</summary>
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
                if (ByShape.TryAdd(kernel.Shape, kernel))
                    InOrder.Add(kernel);
            }
        }
    }

    /// <summary>The generated kernel registered for <paramref name="shape"/>, if any.</summary>
    public static bool TryGet(GqaShape shape, [NotNullWhen(true)] out GqaAttention? kernel)
    {
        lock (Gate)
            return ByShape.TryGetValue(shape, out kernel);
    }

    /// <summary>
    /// The kernel for <paramref name="shape"/> under <paramref name="choice"/>. When <see cref="GqaKernelChoice.Auto"/>
    /// falls back to the generic kernel, <paramref name="warning"/> says so in one line with the attribute to add.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no kernel is registered for the layout.</exception>
    public static GqaAttention Resolve(GqaShape shape, GqaKernelChoice choice, out string? warning)
    {
        warning = null;
        if (!Enum.IsDefined(choice))
            throw new ArgumentOutOfRangeException(nameof(choice), choice, $"Unknown kernel choice; expected one of {string.Join(", ", Enum.GetNames<GqaKernelChoice>())}.");
        if (choice == GqaKernelChoice.Generic)
            return GqaAttention.Generic(shape);
        if (TryGet(shape, out GqaAttention? generated))
            return generated;
        string advice = $"add `{GqaAttention.AttributeLineFor(shape)} public partial struct MyModel;` to your project and rebuild";
        if (choice == GqaKernelChoice.Generated)
            throw new InvalidOperationException($"No generated kernel is registered for the layout {shape}; {advice}.");
        warning = $"warning: no [GqaLayout] matches {shape}, running the generic kernel; for the generated one, {advice}.";
        return GqaAttention.Generic(shape);
    }
}
