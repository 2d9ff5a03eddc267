using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// An activation vector quantized to 8 bits for <see cref="WeightMatrix"/>'s integer dot products
/// (<see cref="WeightMatrix.MultiplyVector(Int8Activations, Span{float}, ComputePool?)"/>): blocks of 256 or 32
/// elements (<see cref="BlockElements"/>), each that many signed integers in −127..127 times one fp32 scale
/// <c>max|x| / 127</c>, with the integers' sums kept beside them. The 256-element layout is ggml's <c>block_q8_K</c>
/// (ggml-common.h; sums per 16), which llama.cpp multiplies its K-quant weights with; the 32-element one is ggml's
/// <c>block_q8_1</c> (a <c>block_q8_0</c> with its sum), which it multiplies Q4_0, Q4_1, Q5_0 and Q5_1 with, here with
/// fp32 scale and sum where ggml keeps halves. <see cref="WeightMatrix.Int8BlockElements"/> says which a weight type
/// takes. Elements are rounded to nearest (ties to even).
/// </summary>
/// <remarks>
/// <para>Why: with fp32 activations every 4- to 6-bit weight costs an unpack, a conversion and a floating-point
/// multiply-add, which one core cannot do as fast as memory delivers the weights. With 8-bit activations the products
/// are integer multiply-adds on 64 weights per instruction (<c>vpmaddubsw</c>), the weights' integer scales are applied
/// in integers too, and floating point is touched once per block. The price is the activations' rounding: each
/// element moves by at most <c>max|x| / 254</c> of its block (a 32-element block follows the activations' magnitude
/// more closely than a 256-element one), where fp32 activations give the exact product with the dequantized weights.
/// That is why this is an option (<see cref="LlamaModelOptions.Activations"/>), off by default.</para>
/// <para>Quantizing gives the same bits on every instruction-set path. An all-zero block has scale 0 and quants 0, and
/// so does a block whose largest magnitude is below about 3.7e-37, where <c>1 / scale</c> would overflow (ggml's
/// quantizer sends every element of such a block to ±127 instead). A NaN or infinity in a block makes its products NaN,
/// never an exception. Not thread-safe while <see cref="Quantize"/> runs; any number of threads may read it
/// afterwards.</para>
/// </remarks>
public sealed unsafe class Int8Activations
{
    /// <summary>Elements per block of the K-quants' layout (ggml's QK_K): one scale per 256 elements. The default.</summary>
    public const int SuperBlockElements = 256;

    /// <summary>Elements per block of the 32-weight formats' layout (ggml's QK8_1): one scale per 32 elements.</summary>
    public const int SmallBlockElements = 32;

    /// <summary>Elements per slice: the quants' sums are kept per 16 (the K-quants scale 16 or 32 weights at a time).</summary>
    internal const int SliceElements = 16;

    private readonly sbyte[] _quants;
    private readonly float[] _scales;
    private readonly short[] _sliceSums;
    private readonly short[] _subBlockSums;
    private readonly float[] _scaledSums;
    private readonly sbyte[] _quadQuants;
    private readonly sbyte[] _halvesQuants;
    private readonly sbyte[] _nibblePairQuants;

    /// <summary>Room for a vector of <paramref name="length"/> elements in blocks of <paramref name="blockElements"/>
    /// (<see cref="SuperBlockElements"/> or <see cref="SmallBlockElements"/>); the length must be a multiple of it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockElements"/> is neither 256 nor 32, or
    /// <paramref name="length"/> is not a positive multiple of it.</exception>
    public Int8Activations(int length, int blockElements = SuperBlockElements)
    {
        if (blockElements is not (SuperBlockElements or SmallBlockElements))
            throw new ArgumentOutOfRangeException(nameof(blockElements), blockElements, $"Int8 activations come in blocks of {SuperBlockElements} (the K-quants') or {SmallBlockElements} (Q4_0, Q4_1, Q5_0, Q5_1) elements.");
        if (length < blockElements || length % blockElements != 0)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Int8 activations hold whole blocks of {blockElements} elements; the length must be a positive multiple of {blockElements}.");
        Length = length;
        BlockElements = blockElements;
        int blocks = length / blockElements;
        _quants = GC.AllocateArray<sbyte>(length, pinned: true);
        _scales = GC.AllocateArray<float>(blocks, pinned: true);
        _sliceSums = GC.AllocateArray<short>(length / SliceElements, pinned: true);
        _subBlockSums = GC.AllocateArray<short>(length / SliceElements, pinned: true);
        _scaledSums = GC.AllocateArray<float>(blocks, pinned: true);
        _quadQuants = GC.AllocateArray<sbyte>(blockElements == SmallBlockElements ? length / QuadElements * QuadElements : 0, pinned: true);
        _halvesQuants = GC.AllocateArray<sbyte>(blockElements == SuperBlockElements ? length : 0, pinned: true);
        _nibblePairQuants = GC.AllocateArray<sbyte>(blockElements == SuperBlockElements ? length : 0, pinned: true);
    }

    /// <summary>Elements in the vector.</summary>
    public int Length { get; }

    /// <summary>Elements per block: one scale each (<see cref="SuperBlockElements"/> or <see cref="SmallBlockElements"/>).</summary>
    public int BlockElements { get; }

    /// <summary>The quantized elements.</summary>
    public ReadOnlySpan<sbyte> Quants => _quants;

    /// <summary>The scale of each block: element i is <c>Quants[i] · Scales[i / BlockElements]</c>.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>Quantizes <paramref name="x"/>, which must have <see cref="Length"/> elements.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> has another length.</exception>
    /// <remarks>Compiled optimized at its first call, as the kernels are: it runs once per matrix input and token, and
    /// as tier-0 code it took 12 µs instead of 2 for 2,048 elements (2026-12-05).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Quantize(ReadOnlySpan<float> x)
    {
        if (x.Length != Length)
            throw new ArgumentException($"Int8 activations of length {Length} need {Length} elements to quantize; got {x.Length}.", nameof(x));
        fixed (float* source = x)
        {
            for (int block = 0; block < Length / BlockElements; block++)
            {
                short* sums = SliceSumPointer + block * (BlockElements / SliceElements);
                float scale = QuantizeBlock(source + block * BlockElements, QuantPointer + block * BlockElements, sums, BlockElements);
                _scales[block] = scale;
                if (BlockElements == SuperBlockElements)
                {
                    short* subBlockSums = SubBlockSumPointer + block * SlicesPerBlock;
                    for (int j = 0; j < SlicesPerBlock / 2; j++)
                        subBlockSums[j] = (short)(sums[2 * j] + sums[2 * j + 1]);
                }
                else
                {
                    _scaledSums[block] = scale * (sums[0] + sums[1]);
                }
            }
        }
        if (BlockElements == SmallBlockElements)
            CopyInQuadOrder();
        else
        {
            CopyInStepOrder(Int8StepOrder.Halves);
            CopyInStepOrder(Int8StepOrder.NibblePairs);
        }
    }

    /// <summary>
    /// Copies the quants of each 256-element block into the array for <paramref name="order"/>
    /// (<see cref="Int8Source.StepQuants"/>): four runs of 64, run s holding the two groups (32 elements each) that the
    /// AVX-512 kernel's step s multiplies, so that it loads them with one load (<see cref="Int8StepOrder"/>). Both orders
    /// are copied on every path (2 × 256 bytes per block), though only the AVX-512 path reads them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyInStepOrder(Int8StepOrder order)
    {
        int upper = order.UpperGroupDistance();
        sbyte* copy = Source().StepQuants(order);
        for (int block = 0; block < Length / SuperBlockElements; block++)
        {
            sbyte* source = QuantPointer + block * SuperBlockElements;
            sbyte* destination = copy + block * SuperBlockElements;
            for (int step = 0; step < Int8StepOrderGroups.Steps; step++)
            {
                int group = order.LowerGroup(step);
                Vector256.Load(source + 32 * group).Store(destination + 64 * step);
                Vector256.Load(source + 32 * (group + upper)).Store(destination + 64 * step + 32);
            }
        }
    }

    /// <summary>
    /// Copies the quants of every whole four blocks (128 elements) into <see cref="QuadQuantPointer"/> in quad order:
    /// elements 0..15 of each of the four blocks, then elements 16..31 of each. That is the order in which the AVX-512
    /// kernel of the 32-weight formats unpacks four blocks' nibbles (low nibbles, then high), so that it needs no permute
    /// (<see cref="Int8BlockKernel"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyInQuadOrder()
    {
        for (int quad = 0; quad < _quadQuants.Length / QuadElements; quad++)
        {
            sbyte* source = QuantPointer + quad * QuadElements;
            sbyte* destination = QuadQuantPointer + quad * QuadElements;
            for (int block = 0; block < 4; block++)
            {
                Vector128.Load(source + SmallBlockElements * block).Store(destination + 16 * block);
                Vector128.Load(source + SmallBlockElements * block + 16).Store(destination + 64 + 16 * block);
            }
        }
    }

    /// <summary>Writes the dequantized vector (quant × its block's scale) to <paramref name="destination"/>: what the
    /// integer dot products multiply the weights with.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have <see cref="Length"/> elements.</exception>
    public void Dequantize(Span<float> destination)
    {
        if (destination.Length != Length)
            throw new ArgumentException($"Int8 activations of length {Length} dequantize to {Length} elements; got a destination of {destination.Length}.", nameof(destination));
        for (int i = 0; i < Length; i++)
            destination[i] = _quants[i] * _scales[i / BlockElements];
    }

    /// <summary>The quants (pinned for the object's lifetime).</summary>
    internal sbyte* QuantPointer => (sbyte*)Unsafe.AsPointer(ref _quants[0]);

    /// <summary>The blocks' scales.</summary>
    internal float* ScalePointer => (float*)Unsafe.AsPointer(ref _scales[0]);

    /// <summary>The sum of each 16 quants (at most 16 · 127 in magnitude): 16 per block.</summary>
    internal short* SliceSumPointer => (short*)Unsafe.AsPointer(ref _sliceSums[0]);

    /// <summary>In 256-element blocks, the sum of each 32 quants (at most 32 · 127): 16 per block, of which the last 8
    /// are zero, so a block's are one 256-bit load whose upper half multiplies nothing.</summary>
    internal short* SubBlockSumPointer => (short*)Unsafe.AsPointer(ref _subBlockSums[0]);

    /// <summary>In 32-element blocks, each block's scale times the sum of its quants (the dequantized block's sum, one
    /// rounding): what a weight format's per-block minimum or offset multiplies.</summary>
    internal float* ScaledSumPointer => (float*)Unsafe.AsPointer(ref _scaledSums[0]);

    /// <summary>In 32-element blocks, the quants of every whole four blocks in quad order (see <see cref="CopyInQuadOrder"/>).</summary>
    internal sbyte* QuadQuantPointer => (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_quadQuants));

    /// <summary>The pointers the integer kernels read (the arrays are pinned for the object's lifetime).</summary>
    internal Int8Source Source() => new(QuantPointer, ScalePointer, SliceSumPointer, SubBlockSumPointer, ScaledSumPointer, QuadQuantPointer,
        (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_halvesQuants)),
        (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_nibblePairQuants)));

    /// <summary>Elements of four 32-element blocks: what <see cref="QuadQuantPointer"/> reorders.</summary>
    internal const int QuadElements = 4 * SmallBlockElements;

    /// <summary>Slices (16 elements) per 256-element block.</summary>
    internal const int SlicesPerBlock = SuperBlockElements / SliceElements;

    /// <summary>
    /// One block of <paramref name="elements"/> (a multiple of 16): returns the scale <c>max|x| / 127</c> and writes the
    /// quants <c>round(x · (1 / scale))</c> (0 for a zero block) and the sum of each 16. Vector and scalar code do the
    /// same IEEE operations, so give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QuantizeBlock(float* x, sbyte* quants, short* sums, int elements)
    {
        float max = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256<float>.Zero;
            for (int i = 0; i < elements; i += 8)
                m = Vector256.Max(m, Vector256.Abs(Vector256.Load(x + i)));
            for (int i = 0; i < 8; i++)
                max = MathF.Max(max, m[i]);
        }
        else
        {
            for (int i = 0; i < elements; i++)
                max = MathF.Max(max, MathF.Abs(x[i]));
        }
        float scale = max / 127f;
        float inverse = 1f / scale;
        if (float.IsPositiveInfinity(inverse))
        {
            // A zero block, or one so small (max|x| below about 3.7e-37) that 1 / scale overflows and every element would
            // round to ±127: both quantize to zero.
            scale = 0;
            inverse = 0;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(127f);
            for (int s = 0; s < elements / SliceElements; s++)
            {
                float* source = x + SliceElements * s;
                Vector256<int> a = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(Vector256.Load(source) * inverse), -limit), limit));
                Vector256<int> b = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(Vector256.Load(source + 8) * inverse), -limit), limit));
                Vector256<short> words = Vector256.Narrow(a, b);
                Vector128<sbyte> bytes = Vector128.Narrow(words.GetLower(), words.GetUpper());
                bytes.Store(quants + SliceElements * s);
                sums[s] = (short)Vector256.Sum(a + b);
            }
        }
        else
        {
            for (int s = 0; s < elements / SliceElements; s++)
            {
                int sum = 0;
                for (int i = SliceElements * s; i < SliceElements * (s + 1); i++)
                {
                    int q = (int)Math.Clamp(MathF.Round(x[i] * inverse), -127f, 127f);
                    quants[i] = (sbyte)q;
                    sum += q;
                }
                sums[s] = (short)sum;
            }
        }
        return scale;
    }
}
