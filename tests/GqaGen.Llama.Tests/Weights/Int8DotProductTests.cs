using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// <see cref="WeightMatrix.MultiplyVector(Int8Activations, Span{float}, ComputePool?)"/>: the integer dot products of
/// the K-quants (Q2_K to Q6_K, 256-element activation blocks) and the 32-weight formats (Q4_0, Q4_1, Q5_0, Q5_1,
/// 32-element blocks) with 8-bit activations, on every instruction-set path this machine runs (the AVX-512 and AVX2
/// paths call their intrinsics directly, so a path the hardware lacks is left out rather than emulated; run the tests
/// again with <c>DOTNET_EnableAVX512=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c> to take the others through the public
/// overload too, and with <c>DOTNET_EnableGFNI=0</c> and <c>DOTNET_EnableAVX512v2=0</c> (VBMI off) for the AVX-512
/// path's unpacking without them), against a double-precision product of the dequantized weights with the dequantized activations.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class Int8DotProductTests
{
    private static readonly GgmlType[] Types = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1];

    private static readonly (int Rows, int Columns)[] ShapeList = [(1, 256), (3, 512), (4, 256), (5, 768), (17, 2048), (64, 1024)];

    /// <summary>For the 32-weight formats also rows of 1, 3, 9, 28 and 65 blocks: the AVX-512 path's groups of eight
    /// blocks with none, one or several blocks after the last whole group.</summary>
    private static readonly (int Rows, int Columns)[] SmallBlockShapeList = [(1, 32), (3, 96), (5, 288), (9, 896), (17, 2080)];

    /// <summary>The paths this process can run: the scalar path always; AVX2 and AVX-512 where their intrinsics are supported.</summary>
    private static GqaKernelPath[] RunnablePaths()
    {
        var paths = new List<GqaKernelPath>();
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported)
            paths.Add(GqaKernelPath.Avx512);
        if (Avx2.IsSupported)
            paths.Add(GqaKernelPath.Avx2);
        paths.Add(GqaKernelPath.Scalar);
        return [.. paths];
    }

    public static TheoryData<GgmlType, int, int, GqaKernelPath> Shapes()
    {
        var data = new TheoryData<GgmlType, int, int, GqaKernelPath>();
        foreach (GgmlType type in Types)
        {
            bool smallBlocks = WeightMatrix.Int8BlockElements(type) == Int8Activations.SmallBlockElements;
            foreach ((int rows, int columns) in smallBlocks ? [.. ShapeList, .. SmallBlockShapeList] : ShapeList)
            {
                foreach (GqaKernelPath path in RunnablePaths())
                    data.Add(type, rows, columns, path);
            }
        }
        return data;
    }

    public static TheoryData<GgmlType, GqaKernelPath> TypesAndPaths()
    {
        var data = new TheoryData<GgmlType, GqaKernelPath>();
        foreach (GgmlType type in Types)
        {
            foreach (GqaKernelPath path in RunnablePaths())
                data.Add(type, path);
        }
        return data;
    }

    public static TheoryData<GgmlType> Int8Types() => new(Types);

    /// <summary>Activations of <paramref name="columns"/> elements in the blocks <paramref name="type"/> takes.</summary>
    private static Int8Activations ActivationsFor(GgmlType type, int columns) => new(columns, WeightMatrix.Int8BlockElements(type));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Products_match_the_double_product_of_the_dequantized_weights_and_activations(GgmlType type, int rows, int columns, GqaKernelPath path)
    {
        int seed = HashCode.Combine(type, rows, columns);
        WeightMatrix matrix = RandomMatrix(type, rows, columns, seed);
        float[] x = RandomActivationsWithZeroBlock(columns, seed + 1);
        var activations = ActivationsFor(type, columns);
        activations.Quantize(x);
        (double[] reference, double[] magnitudes) = Oracle(matrix, activations);
        string context = $"{type} {rows}×{columns} on {path}";

        var y = Poisoned(rows);
        matrix.MultiplyVector(activations, y, null, path);
        AssertClose(reference, magnitudes, y, context);

        // Every path this process runs is also reachable through the public overload on its best path.
        if (path == MatVecKernel.BestPath)
        {
            var best = Poisoned(rows);
            matrix.MultiplyVector(activations, best);
            MatVecAssert.Identical(y, best, $"{context}, public overload");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Products_are_within_the_activation_rounding_of_the_fp32_product(GgmlType type, GqaKernelPath path)
    {
        const int Rows = 37, Columns = 1536;
        int seed = HashCode.Combine(type, 41);
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, seed);
        float[] x = Int8ActivationsTests.RandomActivations(Columns, seed + 1);
        var activations = ActivationsFor(type, Columns);
        activations.Quantize(x);

        var y8 = Poisoned(Rows);
        matrix.MultiplyVector(activations, y8, null, path);
        var y32 = Poisoned(Rows);
        matrix.MultiplyVector(x, y32, null, path);

        // The bound. The int8 product is, up to fp32 rounding, Σ_c W[r,c] · x'[c] with x' the dequantized activations,
        // and |x[c] − x'[c]| ≤ scale_b / 2 = max|x of block b| / 254 (round to nearest; Int8ActivationsTests checks
        // it, with a 1e-4 · scale slack for fp32). So
        //   |y8[r] − y32[r]| ≤ Σ_c |W[r,c]| · scale_b(c) · (0.5 + 1e-4)   (the activations' rounding)
        //                    + 1e-5 · Σ_c |W[r,c] · x[c]| + 1e-5 · Σ_c |W[r,c] · x'[c]|   (each product's fp32 bound).
        // This is tighter than 0.02 · Σ_c |W[r,c]| · max|x| (its worst case is 1/254 ≈ 0.0039 of that), and as the
        // blocks of x differ in magnitude by powers of ten, it also checks that each block is paired with its own scale.
        var row = new float[Columns];
        var dequantizedX = new float[Columns];
        activations.Dequantize(dequantizedX);
        double largestDifference = 0;
        for (int r = 0; r < Rows; r++)
        {
            matrix.DequantizeRow(r, row);
            double rounding = 0, fp32Terms = 0;
            for (int c = 0; c < Columns; c++)
            {
                rounding += Math.Abs((double)row[c]) * activations.Scales[c / activations.BlockElements] * (0.5 + 1e-4);
                fp32Terms += Math.Abs((double)row[c] * x[c]) + Math.Abs((double)row[c] * dequantizedX[c]);
            }
            double bound = rounding + 1e-5 * fp32Terms;
            Assert.True(float.IsFinite(y8[r]) && float.IsFinite(y32[r]), $"{type} on {path}: row {r} is {y8[r]} (int8) and {y32[r]} (fp32).");
            double difference = Math.Abs((double)y8[r] - y32[r]);
            Assert.True(difference <= bound, $"{type} on {path}: row {r} is {y8[r]:R} with int8 activations and {y32[r]:R} with fp32; the difference {difference:E3} exceeds the rounding bound {bound:E3}.");
            largestDifference = Math.Max(largestDifference, difference);
        }
        // The activations' rounding is real: the int8 product is not the fp32 one (else this test compared nothing new).
        Assert.True(largestDifference > 0, $"{type} on {path}: the int8 products equal the fp32 products exactly.");
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Products_are_the_same_bits_over_1_2_or_3_threads(GgmlType type, GqaKernelPath path)
    {
        const int Rows = 67, Columns = 512;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, HashCode.Combine(type, 51));
        var activations = ActivationsFor(type, Columns);
        activations.Quantize(Int8ActivationsTests.RandomActivations(Columns, 52));
        var inline = Poisoned(Rows);
        matrix.MultiplyVector(activations, inline, null, path);
        (double[] reference, double[] magnitudes) = Oracle(matrix, activations);
        AssertClose(reference, magnitudes, inline, $"{type} on {path}, inline");
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            for (int repeat = 0; repeat < 3; repeat++)
            {
                var y = Poisoned(Rows);
                matrix.MultiplyVector(activations, y, pool, path);
                MatVecAssert.Identical(inline, y, $"{type} on {path}, {threads} threads, call {repeat}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void A_row_is_the_same_bits_in_a_4_row_tile_and_alone(GgmlType type, GqaKernelPath path)
    {
        // Nine rows: two 4-row tiles and a single row on the AVX-512 path; each against a 1-row matrix of its bytes.
        const int Rows = 9, Columns = 768;
        byte[] bytes = QuantizedBlocks.Random(type, Rows, Columns, HashCode.Combine(type, 61));
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, Columns, bytes);
        var activations = ActivationsFor(type, Columns);
        activations.Quantize(Int8ActivationsTests.RandomActivations(Columns, 62));
        var y = Poisoned(Rows);
        matrix.MultiplyVector(activations, y, null, path);
        int rowBytes = bytes.Length / Rows;
        for (int r = 0; r < Rows; r++)
        {
            WeightMatrix single = WeightMatrix.FromArray("row", type, 1, Columns, bytes.AsSpan(r * rowBytes, rowBytes).ToArray());
            var alone = Poisoned(1);
            single.MultiplyVector(activations, alone, null, path);
            Assert.True(float.IsFinite(alone[0]), $"{type} on {path}: row {r} alone is {alone[0]}.");
            Assert.True(BitConverter.SingleToInt32Bits(alone[0]) == BitConverter.SingleToInt32Bits(y[r]),
                $"{type} on {path}: row {r} alone is {alone[0]:R}, in the {Rows}-row multiply {y[r]:R}.");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Activations_quantized_again_give_the_products_of_fresh_ones(GgmlType type, GqaKernelPath path)
    {
        // The AVX-512 path reads copies of the quants in its step order; a second Quantize must refresh them.
        const int Rows = 9, Columns = 768;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, HashCode.Combine(type, 111));
        var reused = ActivationsFor(type, Columns);
        reused.Quantize(Int8ActivationsTests.RandomActivations(Columns, 112));
        matrix.MultiplyVector(reused, Poisoned(Rows), null, path);
        float[] second = Int8ActivationsTests.RandomActivations(Columns, 113);
        reused.Quantize(second);
        var fresh = ActivationsFor(type, Columns);
        fresh.Quantize(second);
        var y = Poisoned(Rows);
        matrix.MultiplyVector(reused, y, null, path);
        var expected = Poisoned(Rows);
        matrix.MultiplyVector(fresh, expected, null, path);
        MatVecAssert.Identical(expected, y, $"{type} on {path}, activations quantized twice");
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    public void Other_types_are_refused_with_NotSupportedException(GgmlType type)
    {
        const int Rows = 2, Columns = 256;
        WeightMatrix matrix = WeightMatrix.FromArray("blk.0.attn_q.weight", type, Rows, Columns, new byte[Rows * WeightMatrix.RowByteSize(type, Columns)]);
        Assert.False(WeightMatrix.SupportsInt8Activations(type));
        Assert.Equal(0, WeightMatrix.Int8BlockElements(type));
        foreach (int blockElements in new[] { Int8Activations.SuperBlockElements, Int8Activations.SmallBlockElements })
        {
            var activations = new Int8Activations(Columns, blockElements);
            activations.Quantize(Int8ActivationsTests.RandomActivations(Columns, 71));
            var y = Poisoned(Rows);
            var e = Assert.Throws<NotSupportedException>(() => matrix.MultiplyVector(activations, y));
            Assert.Contains("blk.0.attn_q.weight", e.Message, StringComparison.Ordinal);
            Assert.Contains(type.ToString(), e.Message, StringComparison.Ordinal);
            foreach (GgmlType supported in Types)
                Assert.Contains(supported.ToString(), e.Message, StringComparison.Ordinal);
            Assert.All(y, v => Assert.True(float.IsNaN(v), "y was written before the refusal."));
        }
    }

    [Fact]
    public void The_K_quants_take_256_element_blocks_and_the_32_weight_formats_32()
    {
        foreach (GgmlType type in Enum.GetValues<GgmlType>())
        {
            int expected = type switch
            {
                GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => 256,
                GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 => 32,
                _ => 0,
            };
            Assert.True(WeightMatrix.Int8BlockElements(type) == expected, $"Int8BlockElements({type}) is {WeightMatrix.Int8BlockElements(type)}, expected {expected}.");
            Assert.True(WeightMatrix.SupportsInt8Activations(type) == (expected != 0), $"SupportsInt8Activations({type}) is {WeightMatrix.SupportsInt8Activations(type)}.");
        }
    }

    [Theory]
    [MemberData(nameof(Int8Types))]
    public void Activations_in_the_other_block_size_are_refused_naming_both(GgmlType type)
    {
        const int Rows = 3, Columns = 512;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, 85);
        int expected = WeightMatrix.Int8BlockElements(type);
        int other = expected == 256 ? 32 : 256;
        var wrong = new Int8Activations(Columns, other);
        wrong.Quantize(Int8ActivationsTests.RandomActivations(Columns, 86));
        var y = Poisoned(Rows);
        var e = Assert.Throws<ArgumentException>(() => matrix.MultiplyVector(wrong, y));
        Assert.Equal("x", e.ParamName);
        Assert.Contains($"blocks of {expected} elements; got blocks of {other}", e.Message, StringComparison.Ordinal);
        Assert.All(y, v => Assert.True(float.IsNaN(v), "y was written before the refusal."));
    }

    [Theory]
    [MemberData(nameof(Int8Types))]
    public void Lengths_of_x_and_y_are_checked_naming_expected_and_actual(GgmlType type)
    {
        const int Rows = 3, Columns = 512;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, 81);
        var right = ActivationsFor(type, Columns);
        right.Quantize(Int8ActivationsTests.RandomActivations(Columns, 82));

        foreach (int wrongColumns in new[] { 256, 768 })
        {
            var wrong = ActivationsFor(type, wrongColumns);
            wrong.Quantize(Int8ActivationsTests.RandomActivations(wrongColumns, 83));
            var y = Poisoned(Rows);
            var e = Assert.Throws<ArgumentException>(() => matrix.MultiplyVector(wrong, y));
            Assert.Equal("x", e.ParamName);
            Assert.Contains($"needs {Columns} elements in x", e.Message, StringComparison.Ordinal);
            Assert.Contains($"got {wrongColumns}", e.Message, StringComparison.Ordinal);
            Assert.All(y, v => Assert.True(float.IsNaN(v), "y was written before the refusal."));
        }

        foreach (int wrongRows in new[] { 0, 2, 4 })
        {
            var y = Poisoned(wrongRows);
            var e = Assert.Throws<ArgumentException>(() => matrix.MultiplyVector(right, y));
            Assert.Equal("y", e.ParamName);
            Assert.Contains($"needs {Rows} elements in y", e.Message, StringComparison.Ordinal);
            Assert.Contains($"got {wrongRows}", e.Message, StringComparison.Ordinal);
            Assert.All(y, v => Assert.True(float.IsNaN(v), "y was written before the refusal."));
        }

        var ny = Poisoned(Rows);
        var n = Assert.Throws<ArgumentNullException>(() => matrix.MultiplyVector((Int8Activations)null!, ny));
        Assert.Equal("x", n.ParamName);
    }

    [Theory]
    [MemberData(nameof(Int8Types))]
    public void A_disposed_pool_is_refused(GgmlType type)
    {
        const int Rows = 9, Columns = 256;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, 91);
        var activations = ActivationsFor(type, Columns);
        activations.Quantize(Int8ActivationsTests.RandomActivations(Columns, 92));
        var pool = new ComputePool(2);
        var before = Poisoned(Rows);
        matrix.MultiplyVector(activations, before, pool);
        Assert.All(before, v => Assert.True(float.IsFinite(v)));
        pool.Dispose();
        var y = Poisoned(Rows);
        Assert.Throws<ObjectDisposedException>(() => matrix.MultiplyVector(activations, y, pool));
        Assert.All(y, v => Assert.True(float.IsNaN(v), "y was written before the refusal."));
    }

    /// <summary>
    /// A NaN or infinity in the activations is not an error: quantizing and multiplying do not throw. The block holding
    /// it gets a NaN or infinite scale (max|x| / 127), and as that scale multiplies every row's integer sum for the
    /// block, every output is NaN: the non-finite input propagates, as with fp32 activations. The other blocks'
    /// scales and quants are unaffected.
    /// </summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void A_NaN_or_infinity_in_x_makes_every_output_NaN_without_an_exception(GgmlType type, GqaKernelPath path)
    {
        const int Rows = 6, Columns = 768;
        WeightMatrix matrix = RandomMatrix(type, Rows, Columns, HashCode.Combine(type, 101));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] x = Int8ActivationsTests.RandomActivations(Columns, 102);
            x[256 + 77] = bad;
            var activations = ActivationsFor(type, Columns);
            activations.Quantize(x);
            int badBlock = (256 + 77) / activations.BlockElements;
            Assert.False(float.IsFinite(activations.Scales[badBlock]), $"{bad} in block {badBlock} gave it the finite scale {activations.Scales[badBlock]:R}.");
            float[] clean = Int8ActivationsTests.RandomActivations(Columns, 102);
            var reference = ActivationsFor(type, Columns);
            reference.Quantize(clean);
            int size = activations.BlockElements;
            foreach (int block in new[] { 0, 2, badBlock + 1 })
            {
                Assert.Equal(reference.Scales[block], activations.Scales[block]);
                Assert.Equal(reference.Quants.Slice(size * block, size).ToArray(), activations.Quants.Slice(size * block, size).ToArray());
            }

            // Poisoned with a finite value here, since NaN is the expected result.
            var y = new float[Rows];
            y.AsSpan().Fill(1f);
            matrix.MultiplyVector(activations, y, null, path);
            for (int r = 0; r < Rows; r++)
                Assert.True(float.IsNaN(y[r]), $"{type} on {path}, {bad} in x: row {r} is {y[r]:R}, not NaN.");
        }
    }

    /// <summary>Rows of random bytes with random finite half scales (<see cref="QuantizedBlocks.Random"/>).</summary>
    private static WeightMatrix RandomMatrix(GgmlType type, int rows, int columns, int seed)
        => WeightMatrix.FromArray("w", type, rows, columns, QuantizedBlocks.Random(type, rows, columns, seed));

    /// <summary><see cref="Int8ActivationsTests.RandomActivations"/>, with block 2 all zeros where there are four or
    /// more blocks (a zero scale between nonzero ones).</summary>
    private static float[] RandomActivationsWithZeroBlock(int columns, int seed)
    {
        float[] x = Int8ActivationsTests.RandomActivations(columns, seed);
        if (columns >= 4 * Int8Activations.SuperBlockElements)
            Array.Clear(x, 2 * Int8Activations.SuperBlockElements, Int8Activations.SuperBlockElements);
        return x;
    }

    private static float[] Poisoned(int length)
    {
        var y = new float[length];
        y.AsSpan().Fill(float.NaN);
        return y;
    }

    /// <summary><c>ref[r] = Σ_c W[r, c] · x'[c]</c> in double, with the weights of <see cref="WeightMatrix.DequantizeRow"/>
    /// and the activations of <see cref="Int8Activations.Dequantize"/>, and <c>Σ_c |W[r, c] · x'[c]|</c>.</summary>
    private static (double[] Values, double[] Magnitudes) Oracle(WeightMatrix matrix, Int8Activations activations)
    {
        var x = new float[matrix.Columns];
        activations.Dequantize(x);
        var row = new float[matrix.Columns];
        var values = new double[matrix.Rows];
        var magnitudes = new double[matrix.Rows];
        for (int r = 0; r < matrix.Rows; r++)
        {
            matrix.DequantizeRow(r, row);
            for (int c = 0; c < matrix.Columns; c++)
            {
                double term = (double)row[c] * x[c];
                values[r] += term;
                magnitudes[r] += Math.Abs(term);
            }
        }
        return (values, magnitudes);
    }

    /// <summary>Every element finite and <c>|y[r] − ref[r]| ≤ 1e-5 · Σ_c |W[r, c] · x'[c]|</c>.</summary>
    private static void AssertClose(double[] reference, double[] magnitudes, float[] y, string context)
    {
        Assert.Equal(reference.Length, y.Length);
        for (int r = 0; r < y.Length; r++)
        {
            Assert.True(magnitudes[r] > 0, $"{context}: row {r}'s terms are all zero, so the test would prove nothing.");
            Assert.True(float.IsFinite(y[r]), $"{context}: row {r} is {y[r]} (not written, or not finite); expected {reference[r]:R}.");
            double error = Math.Abs(y[r] - reference[r]);
            double bound = MatVecAssert.RelativeTolerance * magnitudes[r];
            Assert.True(error <= bound, $"{context}: row {r} is {y[r]:R}, expected {reference[r]:R}; the error {error:E2} exceeds 1e-5 · Σ|terms| = {bound:E2}.");
        }
    }
}
