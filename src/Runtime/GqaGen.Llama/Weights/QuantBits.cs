using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>
/// The loads the quantized formats share: a little-endian half, and unsigned bytes zero-extended to 32-bit lanes
/// (one <c>vpmovzxbd</c> where the hardware has it, portable vector code elsewhere, as <see cref="Widen"/> does for
/// signed bytes). Each reads exactly the bytes it converts.
/// </summary>
internal static unsafe class QuantBits
{
    /// <summary>The IEEE half at <paramref name="source"/> (unaligned), exactly: its entry in
    /// <see cref="HalfBits.FromTable"/>'s table, which every <see cref="WeightMatrix"/> initializes when created.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Half(byte* source) => HalfBits.FromTable(Unsafe.ReadUnaligned<ushort>(source));

    /// <summary>
    /// Two 4-byte fields of eight consecutive blocks of <paramref name="blockBytes"/> bytes (18 to 24) at
    /// <paramref name="first"/>: 32-bit lanes 0..7 hold each block's first four bytes (a 32-weight block's scale
    /// <c>d</c> in the low half, its minimum <c>m</c>, where it has one, in the high half: <see cref="LowHalves"/>,
    /// <see cref="HighHalves"/>), lanes 8..15 the four bytes at the second offset <paramref name="permutes"/> was made for
    /// (Q5_0's and Q5_1's fifth bits). Reads only the eight blocks' bytes.
    /// </summary>
    /// <remarks>On AVX-512 three 64-byte loads (the group's first 128 bytes and its last 64) and two word permutes
    /// (<c>vpermt2w</c>): measured 2026-12-04, a <c>vpgatherdd</c> of the eight scales cost a quarter of a Q4_0 product's
    /// time in L2, and building the fifth-bit words from scalar loads and inserts most of what Q5_0 then gained.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Words16(byte* first, int blockBytes, in GroupWordPermutes permutes)
    {
        Vector512<short> front = Vector512.Load((short*)first), middle = Vector512.Load((short*)(first + 64));
        Vector512<short> back = Vector512.Load((short*)(first + 8 * blockBytes - 64));
        Vector512<short> fromFront = Avx512BW.PermuteVar32x16x2(front, permutes.First, middle);
        return Avx512BW.PermuteVar32x16x2(fromFront, permutes.Second, back).AsInt32();
    }

    /// <summary>The half in the low 16 bits of each word, exactly, as <see cref="HalfBits.ToSingle(Vector256{int})"/>
    /// converts it: shifted to the top, moved down to a single's exponent and mantissa with copies of the sign (arithmetic
    /// shift), the copies cleared, times 2^112.</summary>
    /// <remarks>A subnormal half costs a microcode assist in the multiply on Zen 5 (see <see cref="HalfBits"/>); a
    /// 32-weight block's scale is subnormal only where the block's largest weight is below about 5e-4 (Q4_0: 8 · 2^-14),
    /// which ggml's quantizers give only to nearly-zero blocks, so these conversions, one vector per eight blocks, keep the
    /// short form.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LowHalves(Vector256<int> words)
        => HighHalves(words << 16);

    /// <summary>The half in the high 16 bits of each word, exactly (see <see cref="LowHalves"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HighHalves(Vector256<int> words)
        => ((words >> 3) & Vector256.Create(unchecked((int)0x8FFF_E000))).AsSingle() * Vector256.Create(HalfBits.TwoPow112);

    /// <summary>The 32 nibbles of the 16 bytes at <paramref name="source"/> in ggml's 32-weight order: the low nibbles
    /// (weights 0..15), then the high ones (16..31), each in a byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles32(byte* source)
    {
        Vector128<byte> bytes = Vector128.Load(source);
        return Vector256.Create(bytes, (bytes.AsUInt16() >>> 4).AsByte()) & Vector256.Create((byte)0xF);
    }

    /// <summary>Nibble <paramref name="index"/> (0 to 31) of the 16 bytes at <paramref name="source"/>, in <see cref="Nibbles32"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Nibble(byte* source, int index)
        => index < 16 ? source[index] & 0xF : source[index - 16] >> 4;

    /// <summary>
    /// Four blocks' 16 nibble bytes, at <paramref name="first"/> and every <paramref name="stride"/> bytes after it, in
    /// one vector: its low nibbles are weights 0..15 of each block in turn, its high nibbles weights 16..31 ("quad
    /// order", <see cref="LowNibbles"/>, <see cref="HighNibbles"/>). Four 16-byte loads and three inserts, each into a register its load or
    /// insert just wrote (building it with <c>Vector512.Create</c> of two halves inserted into the register of the
    /// previous call's vector: a chain through every step of a kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> NibbleBytes128(byte* first, nint stride)
    {
        Vector256<byte> front = Vector128.Load(first).ToVector256Unsafe().WithUpper(Vector128.Load(first + stride));
        Vector256<byte> back = Vector128.Load(first + 2 * stride).ToVector256Unsafe().WithUpper(Vector128.Load(first + 3 * stride));
        return Avx512F.InsertVector256(front.ToVector512Unsafe(), back, 1);
    }

    /// <summary>The low nibbles of <paramref name="bytes"/>, one per byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> LowNibbles(Vector512<byte> bytes) => bytes & Vector512.Create((byte)0xF);

    /// <summary>The high nibbles of <paramref name="bytes"/>, one per byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> HighNibbles(Vector512<byte> bytes) => (bytes.AsUInt16() >>> 4).AsByte() & Vector512.Create((byte)0xF);

    /// <summary>
    /// The fifth-bit words of quad <paramref name="quad"/> (0 or 1: lanes 8..11 or 12..15 of <paramref name="words"/>,
    /// <see cref="Words16"/>), placed for <see cref="FifthBits128"/>: with VBMI, block L's word in both 64-bit lanes of
    /// 128-bit lane L (one <c>vpermd</c>); without, all four words in every 128-bit lane (an extract and a broadcast).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> FifthBitWords128(Vector512<int> words, int quad)
    {
        if (Avx512Vbmi.IsSupported)
            return Avx512F.PermuteVar16x32(words, Vector512.Create(8 + 4 * quad) + Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3)).AsByte();
        return Vector512.Create((quad == 0 ? Avx512F.ExtractVector128(words, 2) : Avx512F.ExtractVector128(words, 3)).AsByte());
    }

    /// <summary>
    /// The fifth bits, at their place value 16, of weights 0..15 (<paramref name="upperHalves"/> false) or 16..31 (true)
    /// of four blocks in <see cref="NibbleBytes128"/>'s quad order, from their words as <see cref="FifthBitWords128"/>
    /// placed them. With VBMI one <c>vpmultishiftqb</c> gives byte k of lane L the eight bits of block L's word that
    /// end with bit k (or k + 16) at bit 4, and a mask keeps that bit; otherwise each byte is given the byte of its
    /// block's word that holds its bit (<c>vpshufb</c>), then tested.
    /// </summary>
    /// <remarks>The multishift form is two instructions per half where the shuffle form is three (and the words' placing
    /// one instead of two).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> FifthBits128(Vector512<byte> words, bool upperHalves)
    {
        if (Avx512Vbmi.IsSupported)
        {
            // Byte k of each 128-bit lane starts its eight bits at bit k - 4 (mod 64) of its 64-bit lane, or k + 12 for
            // weights 16..31, so that bit k (or k + 16) of the word lands on bit 4.
            Vector512<byte> offsets = Vector512.Create(
                (byte)60, 61, 62, 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 60, 61, 62, 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                60, 61, 62, 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 60, 61, 62, 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
            if (upperHalves)
                offsets = (offsets + Vector512.Create((byte)16)) & Vector512.Create((byte)63);
            return Avx512Vbmi.MultiShift(offsets, words.AsUInt64()) & Vector512.Create((byte)16);
        }
        // Lane L (block L) byte k reads byte k / 8 (+ 2 for weights 16..31) of word L.
        Vector512<byte> indices = Vector512.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,
            8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13);
        if (upperHalves)
            indices += Vector512.Create((byte)2);
        Vector512<byte> spread = Avx512BW.IsSupported ? Avx512BW.Shuffle(words, indices) : Vector512.Shuffle(words, indices);
        Vector512<byte> bits = spread & Vector512.Create(0x8040201008040201ul).AsByte();
        // Each byte now holds one bit or none; GF2P8AFFINEQB with a matrix whose row for output bit 4 is all ones puts
        // their parity, that bit, at bit 4: one instruction for the compare, mask move and mask of the fallback.
        return Gfni.V512.IsSupported
            ? Gfni.V512.GaloisFieldAffineTransform(bits, Vector512.Create(0xFF00_0000ul).AsByte(), 0)
            : ~Vector512.Equals(bits, Vector512<byte>.Zero) & Vector512.Create((byte)16);
    }

    /// <summary>Byte i is 16 where bit i of <paramref name="bits"/> is set, 0 elsewhere: the fifth bits of a 32-weight
    /// block (Q5_0, Q5_1) at their place value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> FifthBits32(uint bits)
    {
        // Byte i takes byte i / 8 of the word (vpshufb shuffles within 128-bit lanes, and each lane holds the word twice),
        // then tests its own bit.
        Vector256<byte> spread = Avx2.IsSupported
            ? Avx2.Shuffle(Vector256.Create(bits).AsByte(), Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3))
            : Vector256.Shuffle(Vector256.Create(bits).AsByte(), Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        Vector256<byte> bit = Vector256.Create(0x8040201008040201ul).AsByte();
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)16);
    }

    /// <summary>Sixteen bytes at <paramref name="source"/>, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Bytes16(byte* source)
    {
        Vector128<byte> bytes = Vector128.Load(source);
        if (Avx512F.IsSupported)
            return Avx512F.ConvertToVector512Int32(bytes);
        Vector256<ushort> shorts = Vector256.Create(Vector128.WidenLower(bytes), Vector128.WidenUpper(bytes));
        return Vector512.Create(Vector256.WidenLower(shorts), Vector256.WidenUpper(shorts)).AsInt32();
    }

    /// <summary>Eight bytes at <paramref name="source"/>, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Bytes8(byte* source)
    {
        if (Avx2.IsSupported)
            return Avx2.ConvertToVector256Int32(source);
        Vector64<byte> bytes = Vector64.Load(source);
        Vector128<ushort> shorts = Vector128.Create(Vector64.WidenLower(bytes), Vector64.WidenUpper(bytes));
        return Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts)).AsInt32();
    }

    /// <summary>
    /// The <paramref name="width"/>-bit field (1 or 2 bits) at bit <paramref name="lowShift"/> of each of the 32 bytes at
    /// <paramref name="run"/> in the lower half and at bit <paramref name="highShift"/> in the upper half, placed at bit
    /// <paramref name="to"/> with every other bit 0: the high bits the K-quants keep apart from their low ones (Q3_K's
    /// <c>hmask</c>, Q5_K's fifth bits, Q6_K's top two), ready to OR in. One bit move with GFNI
    /// (<see cref="MoveBits64"/>), else a per-half shift, a mask and a shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> BitFields64(byte* run, int lowShift, int highShift, int width, int to)
    {
        if (Gfni.V512.IsSupported)
            return MoveBits64(run, FieldRows(lowShift, width, to), FieldRows(highShift, width, to));
        return (Halves64(run, lowShift, highShift) & Vector512.Create((byte)((1 << width) - 1))) << to;
    }

    /// <summary>The <see cref="BitRow"/>s that move a 1- or 2-bit field at bit <paramref name="from"/> to bit <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong FieldRows(int from, int width, int to)
        => width == 1 ? BitRow(from, to) : BitRow(from, to) | BitRow(from + 1, to + 1);

    /// <summary>
    /// The 32 bytes at <paramref name="source"/> in both halves of a vector, each byte's bits moved by an 8 × 8 bit
    /// matrix (<c>GF2P8AFFINEQB</c>): <paramref name="lowMatrix"/> in the lower half, <paramref name="highMatrix"/> in
    /// the upper half (build them with <see cref="BitRow"/>). One load, one insert and one instruction where
    /// <c>Gfni.V512</c> is supported, against a per-lane shift and masks; callers check <c>Gfni.V512.IsSupported</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> MoveBits64(byte* source, ulong lowMatrix, ulong highMatrix)
    {
        Vector256<byte> bytes = Vector256.Load(source);
        Vector512<byte> both = Avx512F.InsertVector256(bytes.ToVector512Unsafe(), bytes, 1);
        Vector512<ulong> matrices = Vector512.Create(lowMatrix, lowMatrix, lowMatrix, lowMatrix, highMatrix, highMatrix, highMatrix, highMatrix);
        return Gfni.V512.GaloisFieldAffineTransform(both, matrices.AsByte(), 0);
    }

    /// <summary>The 2-bit fields at bits <paramref name="shift"/>, + 1 of the 64 bytes at <paramref name="run"/>, as
    /// bytes 0..3: one group of each 128-weight half of a Q2_K or Q3_K super-block, whose two 32-byte runs of quants
    /// follow each other. One bit move with GFNI, else a shift and a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> TwoBitFieldsOf64(byte* run, int shift)
    {
        Vector512<byte> bytes = Vector512.Load(run);
        if (Gfni.V512.IsSupported)
            return Gfni.V512.GaloisFieldAffineTransform(bytes, Vector512.Create(BitRow(shift, 0) | BitRow(shift + 1, 1)).AsByte(), 0);
        return (bytes >>> shift) & Vector512.Create((byte)3);
    }

    /// <summary>Nibble <paramref name="nibble"/> (0: low, 1: high) of each of the 64 bytes at <paramref name="source"/>:
    /// two groups of a Q4_K or Q5_K super-block (<see cref="Int8StepOrder.NibblePairs"/>). A mask, or a shift and a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Nibbles64(byte* source, int nibble)
    {
        Vector512<byte> bytes = Vector512.Load(source);
        return (nibble == 0 ? bytes : (bytes.AsUInt16() >>> 4).AsByte()) & Vector512.Create((byte)0xF);
    }

    /// <summary>The bit matrix row for <see cref="MoveBits64"/> that copies bit <paramref name="from"/> of a byte to
    /// bit <paramref name="to"/> of the result (row <c>to</c> is byte <c>7 − to</c> of the matrix); OR several to move
    /// several bits, and bits no row names are 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRow(int from, int to) => (1ul << from) << (8 * (7 - to));

    /// <summary>
    /// The 32 bytes at <paramref name="source"/> shifted right by <paramref name="lowShift"/> in the lower half and by
    /// <paramref name="highShift"/> in the upper half (bits from the next byte may enter at the top: mask after). On
    /// AVX-512 one load, one insert into the register it loaded and one per-lane shift (<c>vpsrlvw</c>), so nothing depends
    /// on an earlier value of a register: building the vector from two 256-bit halves inserts into a register the
    /// previous call used, a chain through every row and step of a kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Halves64(byte* source, int lowShift, int highShift)
    {
        if (Avx512BW.IsSupported)
        {
            // Not Avx512F.BroadcastVector256ToVector512: .NET 10.0.12 loaded only 16 bytes for it here (wrong results).
            Vector256<byte> bytes = Vector256.Load(source);
            Vector512<ushort> both = Avx512F.InsertVector256(bytes.ToVector512Unsafe(), bytes, 1).AsUInt16();
            // Built from broadcasts and a constant mask (not from two halves, which the JIT inserts into the register of
            // the previous call's vector, even for constant shifts).
            Vector512<ushort> upper = Vector512.Create(0, 0, 0, 0, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue).AsUInt16();
            Vector512<ushort> shifts = Vector512.ConditionalSelect(upper, Vector512.Create((ushort)highShift), Vector512.Create((ushort)lowShift));
            return Avx512BW.ShiftRightLogicalVariable(both, shifts).AsByte();
        }
        Vector256<byte> run = Vector256.Load(source);
        return Vector512.Create(run >>> lowShift, run >>> highShift);
    }

    /// <summary>The integers 0 to 15 as floats: the table <see cref="Lookup16"/> reads unsigned nibbles from.</summary>
    public static Vector512<float> Nibbles
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }

    /// <summary>
    /// <paramref name="table"/>[i &amp; 15] for each lane's index i: bits above the lowest four are ignored, so a
    /// nibble needs no mask. One <c>vpermps</c> where the hardware has AVX-512F: it replaces the mask and the
    /// int→float conversion of a nibble (both on the FP ports that the multiply-adds need), and the table can hold a
    /// format's zero point (q − 8) for free. Exact: it moves floats, it computes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Lookup16(Vector512<float> table, Vector512<int> index)
        => Avx512F.IsSupported ? Avx512F.PermuteVar16x32(table, index) : Vector512.Shuffle(table, index & Vector512.Create(15));

    /// <summary>
    /// The 32-entry table (<paramref name="lower"/> then <paramref name="upper"/>) at each lane's index &amp; 31: one
    /// <c>vpermt2ps</c> where the hardware has AVX-512F, for 5-bit quants (see <see cref="Lookup16"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Lookup32(Vector512<float> lower, Vector512<float> upper, Vector512<int> index)
    {
        if (Avx512F.IsSupported)
            return Avx512F.PermuteVar16x32x2(lower, index, upper);
        Vector512<int> low = index & Vector512.Create(15);
        return Vector512.ConditionalSelect(Vector512.Equals(index & Vector512.Create(16), Vector512<int>.Zero).AsSingle(),
            Vector512.Shuffle(lower, low), Vector512.Shuffle(upper, low));
    }

    /// <summary>
    /// A 5-bit quant as a <see cref="Lookup32"/> index: bits 0..3 from <paramref name="nibbles"/> and bit 4 from
    /// <paramref name="fifth"/>, in one bitwise select (<c>vpternlogd</c>); the bits above are whatever the two held,
    /// which the lookup ignores, so neither needs masking first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Index5(Vector512<int> nibbles, Vector512<int> fifth)
        => Vector512.ConditionalSelect(Vector512.Create(0xF), nibbles, fifth);

    /// <summary>
    /// Lane i holds bit <paramref name="first"/> + i of <paramref name="bits"/> at bit 4 (other bits arbitrary, for
    /// <see cref="Index5"/>): one rotate per lane (<c>vprolvd</c>) where the hardware has AVX-512F,
    /// <see cref="Bit4(uint, int)"/> elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> FifthBits(uint bits, int first)
    {
        if (Avx512F.IsSupported)
        {
            Vector512<uint> rotations = (Vector512.Create(4u) - Vector512.Create((uint)first) - Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)) & Vector512.Create(31u);
            return Avx512F.RotateLeftVariable(Vector512.Create(bits), rotations).AsInt32();
        }
        return Bit4(bits, first);
    }

    /// <summary>Each lane of <paramref name="bytes"/> with its bit <paramref name="bit"/> (0..7) at bit 4 (other bits
    /// arbitrary, for <see cref="Index5"/>): one rotate where the hardware has AVX-512F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> FifthBits(Vector512<int> bytes, int bit)
    {
        if (Avx512F.IsSupported)
            return Avx512F.RotateLeftVariable(bytes.AsUInt32(), Vector512.Create((uint)(4 - bit) & 31)).AsInt32();
        return ((bytes >>> bit) & Vector512.Create(1)) << 4;
    }

    /// <summary>0, 1, 2, 3 repeated: a <see cref="Lookup16"/> table for 2-bit quants, whose index may keep the next
    /// quant's bits 2 and 3 (the period makes them irrelevant), so a 2-bit field needs a shift but no mask.</summary>
    public static Vector512<float> Crumbs
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(0f, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    }

    /// <summary>Each lane of <paramref name="bytes"/> with its bit <paramref name="bit"/> (0..7) at bit
    /// <paramref name="position"/> (other bits arbitrary, for a bitwise select): one rotate where the hardware has
    /// AVX-512F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MoveBit(Vector512<int> bytes, int bit, int position)
    {
        if (Avx512F.IsSupported)
            return Avx512F.RotateLeftVariable(bytes.AsUInt32(), Vector512.Create((uint)(position - bit) & 31)).AsInt32();
        return ((bytes >>> bit) & Vector512.Create(1)) << position;
    }

    /// <summary>16 in the lanes whose bit of <paramref name="bits"/> is set, 0 elsewhere: lane i tests bit
    /// <paramref name="first"/> + i (the fifth bit of Q5_0/Q5_1 quants, packed 32 to a little-endian word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Bit4(uint bits, int first)
    {
        Vector512<int> masks = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768) << first;
        return Vector512.Equals(Vector512.Create((int)bits) & masks, masks) & Vector512.Create(16);
    }

    /// <summary>The 256-bit form of <see cref="Bit4(uint, int)"/>: lane i tests bit <paramref name="first"/> + i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Bit4x8(uint bits, int first)
    {
        Vector256<int> masks = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128) << first;
        return Vector256.Equals(Vector256.Create((int)bits) & masks, masks) & Vector256.Create(16);
    }

    /// <summary>Offset of a Q4_K or Q5_K super-block's 12 packed scale bytes, after its <c>d</c> and <c>dmin</c> halves
    /// (both formats begin the same way: ggml-common.h, block_q4_K and block_q5_K).</summary>
    public const int ScalesOffsetK4 = 2 * sizeof(ushort);

    /// <summary>All eight sub-blocks' coefficients of the Q4_K or Q5_K super-block at <paramref name="block"/>
    /// (<see cref="ScalesMinsK4"/> on its header).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeBlockK4(byte* block, float* coefficients)
        => ScalesMinsK4(block + ScalesOffsetK4, Half(block), Half(block + 2), coefficients);

    /// <summary>Sub-block <paramref name="j"/>'s multiplier <c>d · sc</c> and subtrahend <c>dmin · m</c> of the Q4_K or
    /// Q5_K super-block at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CoefficientsK4(byte* block, int j, out float scale, out float min)
    {
        ScaleMinK4(block + ScalesOffsetK4, j, out int sc, out int m);
        scale = Half(block) * sc;
        min = Half(block + 2) * m;
    }

    /// <summary>
    /// All eight sub-blocks' coefficients of a Q4_K or Q5_K super-block at once: <c>d · sc[j]</c> to
    /// <paramref name="coefficients"/>[j] and <c>−(dmin · m[j])</c> to [8 + j], the same bits as
    /// <see cref="ScaleMinK4"/> followed by the same multiplies. Eight 32-bit lanes unpack the 12 packed bytes as
    /// <c>get_scale_min_k4</c> does, lanes 0..3 one way and 4..7 the other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScalesMinsK4(byte* scales, float d, float dmin, float* coefficients)
    {
        Vector256<int> a = Bytes8(scales);          // s[0..7]
        Vector256<int> b = Bytes8(scales + 4);      // s[4..11]
        Vector256<int> c = Vector256.Shuffle(a, Vector256.Create(0, 1, 2, 3, 0, 1, 2, 3)); // s[j mod 4]
        Vector256<int> upper = Vector256.Create(0, 0, 0, 0, -1, -1, -1, -1);
        var six = Vector256.Create(63);
        Vector256<int> sc = Vector256.ConditionalSelect(upper, (b & Vector256.Create(0xF)) | ((c >>> 6) << 4), a & six);
        Vector256<int> m = Vector256.ConditionalSelect(upper, (b >>> 4) | ((a >>> 6) << 4), b & six);
        (Vector256.ConvertToSingle(sc) * Vector256.Create(d)).Store(coefficients);
        (-(Vector256.ConvertToSingle(m) * Vector256.Create(dmin))).Store(coefficients + 8);
    }

    /// <summary>A Q4_K or Q5_K super-block's integer-product coefficients (<see cref="IInt8DotFormat"/>): <c>A = d</c>,
    /// <c>B = −dmin</c>, <c>α = sc[j]</c> and <c>β = m[j]</c> per sub-block j (lanes 0..7 of each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntegersK4(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta)
    {
        a = Half(block);
        b = -Half(block + 2);
        alpha = ScalesMinsK4Words(block + ScalesOffsetK4);
        beta = alpha.GetUpper().ToVector256Unsafe();
    }

    /// <summary>
    /// The eight 6-bit scales of a Q4_K or Q5_K super-block in 16-bit lanes 0..7 and its eight minimums in lanes 8..15,
    /// from the 12 packed bytes at <paramref name="scales"/>: <c>get_scale_min_k4</c>'s layout rearranged with 32-bit
    /// integer operations into 16 bytes (scales 0..7, minimums 0..7), then widened, as ggml's vector code does it.
    /// Bytes 0..3 hold the low 6 bits of scales 0..3, bytes 4..7 those of minimums 0..3; bytes 8..11 the low nibbles
    /// of scales 4..7 and the high nibbles of minimums 4..7, whose top two bits are the high bits of bytes 0..3 and 4..7.
    /// </summary>
    /// <remarks>With AVX2 the four words are built in one 128-bit register (two byte shuffles, one <c>vpsrlvd</c> that
    /// shifts the last word by 4, masks),
    /// which reads 16 bytes from <paramref name="scales"/>: the 12 packed bytes and the first 4 of the quants (Q4_K)
    /// or high bits (Q5_K) after them in the same super-block. That replaced about 20 scalar integer instructions and
    /// three inserts per super-block and row: from L3, 1 thread, the two builds alternated four times, Q4_K 28.0–30.3 →
    /// 32.4–32.8 GB/s and Q5_K 27.1–31.7 → 31.8–34.1 (Zen 5 VM, 2026-12-05).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> ScalesMinsK4Words(byte* scales)
    {
        const uint Low6 = 0x3F3F3F3F, LowNibbles = 0x0F0F0F0F, Top2 = 0x03030303;
        if (Avx2.IsSupported)
        {
            // The same four words in one 128-bit register: bytes 0..11 (and 4 more of the block, unused) shuffled to
            // [0..3, 8..11, 4..7, 8..11] for the low bits and [-, 0..3, -, 4..7] for the top two.
            Vector128<byte> packed = Vector128.Load(scales);
            Vector128<uint> low = Ssse3.Shuffle(packed, Vector128.Create((byte)0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11)).AsUInt32();
            low = Avx2.ShiftRightLogicalVariable(low, Vector128.Create(0u, 0, 0, 4)) & Vector128.Create(Low6, LowNibbles, Low6, LowNibbles);
            Vector128<uint> top = Ssse3.Shuffle(packed, Vector128.Create((byte)0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 4, 5, 6, 7)).AsUInt32();
            return Avx2.ConvertToVector256Int16((low | ((top >>> 2) & Vector128.Create(Top2 << 4))).AsByte());
        }
        uint first = Unsafe.ReadUnaligned<uint>(scales), second = Unsafe.ReadUnaligned<uint>(scales + 4), third = Unsafe.ReadUnaligned<uint>(scales + 8);
        uint scales03 = first & Low6;
        uint scales47 = (third & LowNibbles) | (((first >> 6) & Top2) << 4);
        uint mins03 = second & Low6;
        uint mins47 = ((third >> 4) & LowNibbles) | (((second >> 6) & Top2) << 4);
        Vector128<byte> bytes = Vector128.Create(scales03, scales47, mins03, mins47).AsByte();
        return Vector256.Create(Vector128.WidenLower(bytes), Vector128.WidenUpper(bytes)).AsInt16();
    }

    /// <summary>
    /// Sub-block <paramref name="j"/>'s 6-bit scale and 6-bit minimum of a Q4_K or Q5_K super-block, from its 12
    /// packed bytes (ggml-quants.c, <c>get_scale_min_k4</c>): sub-blocks 0..3 keep theirs in the low 6 bits of bytes
    /// j and j + 4; sub-blocks 4..7 in the nibbles of byte j + 4, with the top two bits in the high bits of bytes
    /// j − 4 (scale) and j (minimum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleMinK4(byte* scales, int j, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = scales[j] & 63;
            min = scales[j + 4] & 63;
        }
        else
        {
            scale = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
            min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
        }
    }
}
