using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Storage;

/// <summary>
/// Every row format's <c>Encode</c> writes exactly the bytes its definition gives (<see cref="RowOracle"/>), and its
/// <c>Load</c>, <c>Load256</c> and <c>Load512</c>, at every element offset where the load fits in the row (the
/// overlapping last vector included), return exactly the values those bytes denote, lane by lane. Each row sits
/// against an inaccessible page (<see cref="GuardedPages"/>), on one side or the other, so a load that reads a byte
/// outside the row ends the run. Category Kernel: the loads take different instructions on each ISA path, and CI
/// reruns them on each.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class RowLoadTests
{
    /// <summary>Every head dimension from 1 to 130 (all vector offsets within and across up to five q8_0 blocks, each
    /// tail length of both vector widths), and wider rows of 6, 8 and 16 blocks.</summary>
    public static readonly int[] HeadDims = [.. Enumerable.Range(1, 130), 192, 256, 512];

    public static TheoryData<KvElementType, bool> FormatsAndSides()
    {
        var data = new TheoryData<KvElementType, bool>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
        {
            data.Add(type, true);
            data.Add(type, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FormatsAndSides))]
    public void Encode_then_every_load_at_every_offset_returns_the_stored_values_and_stays_inside_the_row(KvElementType type, bool againstEnd)
    {
        switch (type)
        {
            case KvElementType.Float32: Check<Float32Rows>(type, againstEnd); break;
            case KvElementType.Float16: Check<Float16Rows>(type, againstEnd); break;
            case KvElementType.BFloat16: Check<BFloat16Rows>(type, againstEnd); break;
            case KvElementType.Q8_0: Check<Q8_0Rows>(type, againstEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "A storage type without a row format.");
        }
    }

    [Fact]
    public void The_guard_pages_are_really_inaccessible()
    {
        // Reading a guard would end the run, so this reads the kernel's own map of the process instead (Linux only).
        if (!OperatingSystem.IsLinux())
            return;
        using var pages = new GuardedPages(1000);
        Assert.True(pages.IsGuarded);
        long start = pages.Start, pageSize = Environment.SystemPageSize;
        Assert.Equal("---", ProtectionAt(start - pageSize));
        Assert.Equal("rw-", ProtectionAt(start));
        Assert.Equal("rw-", ProtectionAt(start + pages.UsableBytes - 1));
        Assert.Equal("---", ProtectionAt(start + pages.UsableBytes));
    }

    private static void Check<TRows>(KvElementType type, bool againstEnd) where TRows : struct, IKvRowFormat
    {
        Assert.Equal(type, TRows.ElementType);
        using var pages = new GuardedPages(RowOracle.RowBytes(type, HeadDims.Max()));
        Assert.True(pages.IsGuarded || !(OperatingSystem.IsLinux() || OperatingSystem.IsWindows()), "No guard pages on this OS.");
        var random = new Random(CaseSeed.For(nameof(RowLoadTests), type, againstEnd));
        foreach (int d in HeadDims)
        {
            string context = $"{type} row of {d} elements placed against the {(againstEnd ? "trailing" : "leading")} guard page";
            int rowBytes = TRows.RowBytes(d);
            Assert.True(RowOracle.RowBytes(type, d) == rowBytes, $"{context}: RowBytes {rowBytes}, expected {RowOracle.RowBytes(type, d)}.");
            Span<byte> row = againstEnd ? pages.AtEnd(rowBytes) : pages.AtStart(rowBytes);
            row.Fill(0xA5); // Encode must write every byte of the row, padding included.

            float[] source = RandomRow(random, type, d);
            TRows.Encode(source, row);
            AssertBytes(RowOracle.Encode(type, source), row, context);

            var expected = new float[d];
            for (int i = 0; i < d; i++)
                expected[i] = RowOracle.Decode(type, row, i);
            ref byte start = ref MemoryMarshal.GetReference(row);
            for (int e = 0; e < d; e++)
                AssertSame(expected[e], TRows.Load(ref start, e), context, "Load", e, 0);
            for (int e = 0; e + Vector256<float>.Count <= d; e++)
            {
                Vector256<float> lanes = TRows.Load256(ref start, e);
                for (int lane = 0; lane < Vector256<float>.Count; lane++)
                    AssertSame(expected[e + lane], lanes[lane], context, "Load256", e, lane);
            }
            for (int e = 0; e + Vector512<float>.Count <= d; e++)
            {
                Vector512<float> lanes = TRows.Load512(ref start, e);
                for (int lane = 0; lane < Vector512<float>.Count; lane++)
                    AssertSame(expected[e + lane], lanes[lane], context, "Load512", e, lane);
            }
        }
    }

    /// <summary>
    /// Random elements, never zero, with magnitudes spread over each format's interesting range: Float32 across
    /// almost its whole exponent range; Float16 from its subnormals (2^-26) past its largest finite value (2^17,
    /// so some elements saturate); BFloat16 from its subnormals to near its top. Q8_0 blocks get a scale of
    /// 2^-12 to 2^12 each and elements uniform within it, so blocks differ and most quantized bytes are not zero.
    /// </summary>
    private static float[] RandomRow(Random random, KvElementType type, int d)
    {
        var row = new float[d];
        if (type == KvElementType.Q8_0)
        {
            for (int block = 0; block < d; block += Q8_0Oracle.BlockElements)
            {
                double scale = Math.Pow(2, -12 + 24 * random.NextDouble());
                for (int i = block; i < Math.Min(d, block + Q8_0Oracle.BlockElements); i++)
                    row[i] = (float)(scale * (random.Next(2) == 0 ? 1 : -1) * (1 - random.NextDouble()));
            }
            return row;
        }
        (int low, int high) = type switch
        {
            KvElementType.Float32 => (-140, 120),
            KvElementType.Float16 => (-26, 17),
            _ => (-135, 120),
        };
        for (int i = 0; i < d; i++)
        {
            float magnitude = (float)Math.Pow(2, low + (high - low) * random.NextDouble());
            row[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }
        return row;
    }

    private static void AssertBytes(byte[] expected, ReadOnlySpan<byte> actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
                Assert.Fail($"{context}: Encode wrote byte {i} as 0x{actual[i]:X2}; the format's definition gives 0x{expected[i]:X2}.");
        }
    }

    private static void AssertSame(float expected, float actual, string context, string load, int element, int lane)
    {
        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
            Assert.Fail($"{context}: {load} at element {element}, lane {lane} (element {element + lane}) gave {actual:R}; the stored bytes denote {expected:R}.");
    }

    /// <summary>The permissions (e.g. "rw-") of the mapping holding <paramref name="address"/>, from /proc/self/maps.</summary>
    private static string ProtectionAt(long address)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string[] fields = line.Split(' ', 3);
            string[] range = fields[0].Split('-');
            if (address >= Convert.ToInt64(range[0], 16) && address < Convert.ToInt64(range[1], 16))
                return fields[1][..3];
        }
        return "unmapped";
    }
}
