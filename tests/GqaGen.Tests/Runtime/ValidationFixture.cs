using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// The layout and cache sizes the argument-validation tests use. Every count in it is distinct (H 6, G 3, d 96,
/// query 576, K/V row 288, capacity 37, 2 layers), so a message that contains a number names the intended one.
/// </summary>
internal static class ValidationFixture
{
    public const int Capacity = 37;
    public const int Layers = 2;

    public static LayoutKernel Layout => LayoutCatalog.Get(nameof(Heads6Groups3Dim96));

    public static GqaShape Shape => Heads6Groups3Dim96.Shape;

    public static KvCache NewCache() => new(Shape, Layers, Capacity);

    public static float[] KvRow(float fill = 0.5f) => Filled(Shape.KvLength, fill);

    public static float[] Query() => Filled(Shape.QueryLength, 0.25f);

    public static float[] Filled(int length, float value)
    {
        var array = new float[length];
        array.AsSpan().Fill(value);
        return array;
    }
}
