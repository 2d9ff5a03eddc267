using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;
using Xunit.Sdk;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// The kernel-test harness rejects deliberately broken kernels, one per fault it claims to catch. Without these, a
/// harness bug (a comparison against the kernel's own output, a poison that is never read) would pass every kernel.
/// </summary>
public sealed class HarnessSelfTests
{
    private static readonly LayoutKernel Layout = LayoutCatalog.Get(nameof(SmolLM2_135M));

    [Fact]
    public void Correct_kernel_passes() => Run(InputVariant.OffsetRange, Layout.GenericDecode);

    [Fact]
    public void Reading_one_position_past_the_range_is_caught()
        => AssertCaught(InputVariant.Uniform, (q, c, l, p, o, lse) => Layout.GenericDecode(q, c, l, new KvRange(p.Start, p.End + 1), o, lse));

    [Fact]
    public void Reading_one_position_before_the_range_is_caught()
        => AssertCaught(InputVariant.OffsetRange, (q, c, l, p, o, lse) => Layout.GenericDecode(q, c, l, new KvRange(p.Start - 1, p.End), o, lse));

    [Fact]
    public void Reading_the_wrong_layer_is_caught()
        => AssertCaught(InputVariant.OffsetRange, (q, c, l, p, o, lse) => Layout.GenericDecode(q, c, 1 - l, p, o, lse));

    [Fact]
    public void An_output_error_just_over_the_tolerance_is_caught()
        => AssertCaught(InputVariant.Uniform, (q, c, l, p, o, lse) =>
        {
            Layout.GenericDecode(q, c, l, p, o, lse);
            float headMax = 0;
            foreach (float x in o[..Layout.Shape.HeadDim])
                headMax = Math.Max(headMax, Math.Abs(x));
            o[0] += 2 * (float)AttentionAssert.Tolerance * headMax;
        });

    [Fact]
    public void A_logSumExp_error_just_over_the_tolerance_is_caught()
        => AssertCaught(InputVariant.LargeLogits, (q, c, l, p, o, lse) =>
        {
            Layout.GenericDecode(q, c, l, p, o, lse);
            lse[^1] += 2 * (float)AttentionAssert.Tolerance * Math.Max(1, Math.Abs(lse[^1]));
        });

    [Fact]
    public void An_unwritten_output_element_is_caught()
        => AssertCaught(InputVariant.Uniform, (q, c, l, p, o, lse) =>
        {
            Layout.GenericDecode(q, c, l, p, o, lse);
            o[^1] = GuardedBuffer.Poison;
        });

    [Fact]
    public void A_write_past_the_output_span_is_caught()
        => AssertCaught(InputVariant.Uniform, (q, c, l, p, o, lse) =>
        {
            Layout.GenericDecode(q, c, l, p, o, lse);
            Unsafe.Add(ref MemoryMarshal.GetReference(o), o.Length) = 0f;
        });

    [Fact]
    public void A_write_before_the_logSumExp_span_is_caught()
        => AssertCaught(InputVariant.Uniform, (q, c, l, p, o, lse) =>
        {
            Layout.GenericDecode(q, c, l, p, o, lse);
            Unsafe.Subtract(ref MemoryMarshal.GetReference(lse), 1) = 0f;
        });

    private static void AssertCaught(InputVariant variant, DecodeFunction brokenKernel)
        => Assert.ThrowsAny<XunitException>(() => Run(variant, brokenKernel));

    private static void Run(InputVariant variant, DecodeFunction kernel)
        => DecodeCaseRunner.Check(Layout, 100, variant, "harness self-test", GenericGqaKernel.PathFor(Layout.Shape), Layout.GenericAppendKv, kernel);
}
