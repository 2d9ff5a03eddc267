using System.Runtime.InteropServices;
using GqaGen.Kernels;

namespace GqaGen;

/// <summary>
/// The key/value cache of a stack of attention layers, in 64-byte-aligned native memory of fixed size, storing each
/// element as <see cref="ElementType"/> and, with a <see cref="SlidingWindow"/>, only the last window's positions.
/// </summary>
/// <remarks>
/// <para>Keys and values are two separate regions, each laid out <c>(layer, group, slot, row)</c>: for one layer and
/// one K/V head, consecutive slots are consecutive rows of <see cref="RowBytes"/> bytes, so a decode step streams each
/// group's rows front to back.</para>
/// <para>Without a window, position p is slot p and the cache holds <see cref="Capacity"/> positions. With a window W,
/// the cache is a ring of <see cref="Slots"/> = min(W, capacity) rows per group (or more, if asked for, so that a
/// prefill block and the window before it fit together): position p lives in slot p mod
/// <see cref="Slots"/>, so appending never runs out of room (up to <see cref="Capacity"/>), and a decode over positions
/// [s, e) attends to positions e − W ≤ j &lt; e only, i.e. a query at position p sees p − W &lt; j ≤ p
/// (Hugging Face's and llama.cpp's definition: Mistral's <c>sliding_window</c>, llama.cpp's <c>n_swa</c>).</para>
/// <para>The memory is zeroed at creation and freed by <see cref="Dispose"/>. Spans obtained from the cache must not
/// be used after it is disposed.</para>
/// </remarks>
public sealed unsafe class KvCache : IDisposable
{
    /// <summary>Alignment of every layer's K and V region, in bytes (one cache line, one Vector512).</summary>
    public const int Alignment = 64;

    private readonly int _regionBytes;

    /// <summary>Bytes from one region (one layer's K or V) to the next: its size rounded up to whole <see cref="Alignment"/> units,
    /// so that every region, not only the first, starts on an aligned address.</summary>
    private readonly long _regionStride;

    private byte* _memory;

    /// <summary>Allocates a zeroed cache for <paramref name="layers"/> layers of <paramref name="shape"/>.</summary>
    /// <param name="shape">The attention layout of every layer.</param>
    /// <param name="layers">Number of layers.</param>
    /// <param name="capacity">Positions that can be appended, 0 to <c>capacity − 1</c>. Without a window the cache holds them all;
    /// with one it holds the last <paramref name="slidingWindow"/> (so a ring may be given <see cref="int.MaxValue"/>).</param>
    /// <param name="elementType">How elements are stored.</param>
    /// <param name="slidingWindow">0 for none, else W: decode attends to the last W positions of its range only.</param>
    /// <param name="ringSlots">With a window: rows per group of the ring, at least W (0 for W). A ring of S &gt; W slots lets a
    /// prefill block of up to S − W + 1 queries be appended and then attended at once (every query's window is still
    /// in the ring); a ring of W slots takes one query at a time once the positions pass the first window. Capped at
    /// <paramref name="capacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or zero where it must be positive, <paramref name="ringSlots"/> is
    /// set without a window or below it, or one layer's K region would exceed <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ArgumentException"><paramref name="elementType"/> is not a known element type, or the shape is uninitialized.</exception>
    /// <exception cref="OutOfMemoryException">The memory cannot be allocated.</exception>
    public KvCache(GqaShape shape, int layers, int capacity, KvElementType elementType = KvElementType.Float32, int slidingWindow = 0, int ringSlots = 0)
    {
        if (shape.Heads == 0)
            throw new ArgumentException("The shape is uninitialized (default(GqaShape)); create it with new GqaShape(heads, kvGroups, headDim).", nameof(shape));
        if (layers <= 0)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"A KV cache needs at least 1 layer; got {layers}.");
        if (capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"A KV cache needs a capacity of at least 1 position; got {capacity}.");
        if (!Enum.IsDefined(elementType))
            throw new ArgumentException($"Unknown KV element type {(int)elementType}; expected one of {string.Join(", ", Enum.GetNames<KvElementType>())}.", nameof(elementType));
        if (slidingWindow < 0)
            throw new ArgumentOutOfRangeException(nameof(slidingWindow), slidingWindow, $"A sliding window must be positive (or 0 for none); got {slidingWindow}.");

        if (ringSlots != 0 && (slidingWindow == 0 || ringSlots < slidingWindow))
            throw new ArgumentOutOfRangeException(nameof(ringSlots), ringSlots, slidingWindow == 0
                ? $"ringSlots sizes the ring of a sliding-window cache; this cache has no window, so it holds every position. Pass 0, or a sliding window."
                : $"A ring must hold at least the window: ringSlots {ringSlots} is below the sliding window {slidingWindow}. Pass 0 (a ring of {slidingWindow} slots) or at least {slidingWindow}.");

        int slots = slidingWindow > 0 ? Math.Min(capacity, Math.Max(slidingWindow, ringSlots)) : capacity;
        int rowBytes = elementType.RowBytes(shape.HeadDim);
        long regionBytes = (long)shape.KvGroups * slots * rowBytes;
        if (regionBytes > int.MaxValue)
            throw new ArgumentOutOfRangeException(slidingWindow > 0 ? nameof(slidingWindow) : nameof(capacity), slots,
                $"One layer's keys would take {regionBytes:N0} bytes ({shape.KvGroups} groups × {slots} positions × {rowBytes} bytes per {elementType} row); at most {int.MaxValue:N0} are supported. Lower the {(slidingWindow > 0 ? "window" : "capacity")}.");

        Shape = shape;
        Layers = layers;
        Capacity = capacity;
        ElementType = elementType;
        if (elementType == KvElementType.Q8_0)
            HalfBits.InitializeTable(); // before any kernel reading this cache is compiled, so the JIT sees the table as a constant
        SlidingWindow = slidingWindow;
        Slots = slots;
        RowBytes = rowBytes;
        _regionBytes = (int)regionBytes;
        _regionStride = (regionBytes + Alignment - 1) / Alignment * Alignment;
        // Both fit in a long: a region is under 2^31 bytes and there are under 2^32 of them.
        SizeInBytes = 2L * layers * regionBytes;
        long allocationBytes = 2L * layers * _regionStride; // adds the under-Alignment padding between regions
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)allocationBytes, Alignment);
        NativeMemory.Clear(_memory, (nuint)allocationBytes);
    }

    /// <summary>The attention layout every layer of the cache holds.</summary>
    public GqaShape Shape { get; }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Number of positions that can be appended; positions run from 0 to <c>Capacity - 1</c>. Without a window
    /// the cache holds them all; with one, only the last <see cref="SlidingWindow"/>.</summary>
    public int Capacity { get; }

    /// <summary>How each element is stored.</summary>
    public KvElementType ElementType { get; }

    /// <summary>The sliding window W (decode attends to the last W positions of its range), or 0 for none.</summary>
    public int SlidingWindow { get; }

    /// <summary>Rows each group holds per layer: <see cref="Capacity"/> without a window, min(W, capacity) with one (or
    /// min(ringSlots, capacity) where a larger ring was asked for).</summary>
    public int Slots { get; }

    /// <summary>Bytes one row (one position of one K/V head) occupies: <see cref="KvElementTypeExtensions.RowBytes"/>.</summary>
    public int RowBytes { get; }

    /// <summary>Bytes of K and V for all layers: 2 · layers · G · <see cref="Slots"/> · <see cref="RowBytes"/> (the
    /// allocation also holds the under-<see cref="Alignment"/> padding that keeps each region aligned).</summary>
    public long SizeInBytes { get; }

    /// <summary>Bytes one position takes across all layers, K and V: 2 · layers · G · <see cref="RowBytes"/>.</summary>
    public long BytesPerPosition => SizeInBytes / Slots;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _memory == null;

    /// <summary>One layer's keys, <c>(group, slot, headDim)</c>: <c>KvGroups × Slots × HeadDim</c> floats.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    /// <exception cref="NotSupportedException">The cache does not store <see cref="KvElementType.Float32"/>.</exception>
    public Span<float> Keys(int layer) => Floats(KeyBytes(layer));

    /// <summary>One layer's values, <c>(group, slot, headDim)</c>: <c>KvGroups × Slots × HeadDim</c> floats.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    /// <exception cref="NotSupportedException">The cache does not store <see cref="KvElementType.Float32"/>.</exception>
    public Span<float> Values(int layer) => Floats(ValueBytes(layer));

    /// <summary>One layer's keys as stored, <c>(group, slot, row)</c>: <c>KvGroups × Slots × RowBytes</c> bytes.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    public Span<byte> KeyBytes(int layer) => Region(layer, valueRegion: false);

    /// <summary>One layer's values as stored, <c>(group, slot, row)</c>: <c>KvGroups × Slots × RowBytes</c> bytes.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    public Span<byte> ValueBytes(int layer) => Region(layer, valueRegion: true);

    /// <summary>The slot position <paramref name="position"/> is stored in: itself, or position mod <see cref="Slots"/> with a window.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is outside [0, <see cref="Capacity"/>).</exception>
    public int SlotOf(int position)
    {
        if ((uint)position >= (uint)Capacity)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"Position {position} is outside the cache, which holds positions 0 to {Capacity - 1}.");
        return position % Slots;
    }

    /// <summary>Offset, in elements, of the row of <paramref name="group"/> at <paramref name="position"/> within a layer's
    /// <see cref="Keys"/> or <see cref="Values"/> (its slot's row, with a window).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> or <paramref name="position"/> is outside the cache.</exception>
    public int RowOffset(int group, int position) => RowIndex(group, position) * Shape.HeadDim;

    /// <summary>Offset, in bytes, of the row of <paramref name="group"/> at <paramref name="position"/> within a layer's
    /// <see cref="KeyBytes"/> or <see cref="ValueBytes"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> or <paramref name="position"/> is outside the cache.</exception>
    public int RowByteOffset(int group, int position) => RowIndex(group, position) * RowBytes;

    /// <summary>
    /// The positions a decode over <paramref name="positions"/> attends to: the range itself, or without a window, or
    /// its last <see cref="SlidingWindow"/> positions with one (the last position is the query's own).
    /// </summary>
    public KvRange Attended(KvRange positions)
        => SlidingWindow > 0 && positions.Length > SlidingWindow ? new KvRange(positions.End - SlidingWindow, positions.End) : positions;

    /// <summary>
    /// Splits <paramref name="attended"/> (a range of at most <see cref="Slots"/> positions, e.g. from <see cref="Attended"/>)
    /// into the slot ranges that hold it: one range, or, where it wraps around the ring, two (the second starting at slot 0).
    /// A range covering every slot comes back as the single range [0, Slots): attention does not depend on the order of
    /// positions, and one contiguous pass streams best.
    /// </summary>
    /// <returns>The number of slot ranges, 0 (empty range), 1 or 2.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attended"/> holds more positions than the cache keeps, or reaches past <see cref="Capacity"/>.</exception>
    public int SlotRanges(KvRange attended, out KvRange first, out KvRange second)
    {
        second = default;
        if (attended.End > Capacity)
            throw new ArgumentOutOfRangeException(nameof(attended), attended, $"Positions {attended} reach past the cache capacity {Capacity}; the last position is {Capacity - 1}.");
        if (attended.Length > Slots)
            throw new ArgumentOutOfRangeException(nameof(attended), attended, $"Positions {attended} are {attended.Length} positions; the cache keeps the last {Slots} (sliding window {SlidingWindow}).");
        first = attended;
        if (attended.Length == 0 || SlidingWindow == 0)
            return attended.Length == 0 ? 0 : 1;
        if (attended.Length == Slots)
        {
            first = new KvRange(0, Slots);
            return 1;
        }
        int start = attended.Start % Slots;
        int end = start + attended.Length;
        if (end <= Slots)
        {
            first = new KvRange(start, end);
            return 1;
        }
        first = new KvRange(start, Slots);
        second = new KvRange(0, end - Slots);
        return 2;
    }

    /// <summary>Reads the key row of <paramref name="group"/> at <paramref name="position"/> as floats (dequantized: what kernels compute with).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <c>HeadDim</c> long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer, group or position is outside the cache.</exception>
    public void ReadKey(int layer, int group, int position, Span<float> destination) => ReadRow(KeyBytes(layer), group, position, destination);

    /// <summary>Reads the value row of <paramref name="group"/> at <paramref name="position"/> as floats (dequantized: what kernels compute with).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <c>HeadDim</c> long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer, group or position is outside the cache.</exception>
    public void ReadValue(int layer, int group, int position, Span<float> destination) => ReadRow(ValueBytes(layer), group, position, destination);

    /// <summary>Stores <paramref name="key"/> and <paramref name="value"/> (each <c>KvGroups × HeadDim</c> floats) at
    /// <paramref name="position"/> of <paramref name="layer"/>, converting or quantizing them to <see cref="ElementType"/>.</summary>
    /// <remarks>Kernels' <c>AppendKv</c> methods check their arguments against their layout and come here.</remarks>
    /// <exception cref="ArgumentException">A span is not <c>KvGroups × HeadDim</c> long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer or position is outside the cache.</exception>
    public void Write(int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        GqaGuard.CheckAppend(Shape, this, layer, position, key, value);
        switch (ElementType)
        {
            case KvElementType.Float32: WriteRows<Float32Rows>(layer, position, key, value); break;
            case KvElementType.Float16: WriteRows<Float16Rows>(layer, position, key, value); break;
            case KvElementType.BFloat16: WriteRows<BFloat16Rows>(layer, position, key, value); break;
            default: WriteRows<Q8_0Rows>(layer, position, key, value); break;
        }
        GC.KeepAlive(this);
    }

    /// <summary>Frees the native memory. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory of a cache that was never disposed.</summary>
    ~KvCache()
    {
        if (_memory != null)
            NativeMemory.AlignedFree(_memory);
    }

    private void WriteRows<TRows>(int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value) where TRows : struct, IKvRowFormat
    {
        Span<byte> keys = KeyBytes(layer), values = ValueBytes(layer);
        int d = Shape.HeadDim, slot = position % Slots;
        for (int g = 0; g < Shape.KvGroups; g++)
        {
            int row = (g * Slots + slot) * RowBytes;
            TRows.Encode(key.Slice(g * d, d), keys.Slice(row, RowBytes));
            TRows.Encode(value.Slice(g * d, d), values.Slice(row, RowBytes));
        }
    }

    private void ReadRow(Span<byte> region, int group, int position, Span<float> destination)
    {
        if (destination.Length != Shape.HeadDim)
            throw new ArgumentException($"destination has {destination.Length} elements; expected {Shape.HeadDim} (HeadDim for {Shape}).", nameof(destination));
        ref byte row = ref region[RowByteOffset(group, position)];
        // One dispatch per row, as Write does, rather than a switch per element.
        switch (ElementType)
        {
            case KvElementType.Float32: DecodeRow<Float32Rows>(ref row, destination); break;
            case KvElementType.Float16: DecodeRow<Float16Rows>(ref row, destination); break;
            case KvElementType.BFloat16: DecodeRow<BFloat16Rows>(ref row, destination); break;
            default: DecodeRow<Q8_0Rows>(ref row, destination); break;
        }
        GC.KeepAlive(this);
    }

    private static void DecodeRow<TRows>(ref byte row, Span<float> destination) where TRows : struct, IKvRowFormat
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = TRows.Load(ref row, i);
    }

    private int RowIndex(int group, int position)
    {
        if ((uint)group >= (uint)Shape.KvGroups)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"Group {group} does not exist: the layout has {Shape.KvGroups} K/V group(s), 0 to {Shape.KvGroups - 1}.");
        return group * Slots + SlotOf(position);
    }

    private Span<float> Floats(Span<byte> region)
    {
        if (ElementType != KvElementType.Float32)
            throw new NotSupportedException($"This cache stores {ElementType}; float spans exist only for {KvElementType.Float32} caches. Use KeyBytes/ValueBytes, or ReadKey/ReadValue to dequantize a row.");
        return MemoryMarshal.Cast<byte, float>(region);
    }

    private Span<byte> Region(int layer, bool valueRegion)
    {
        ObjectDisposedException.ThrowIf(_memory == null, this);
        if ((uint)layer >= (uint)Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer {layer} does not exist: the cache has {Layers} layer(s), 0 to {Layers - 1}.");
        long region = valueRegion ? Layers + layer : layer;
        return new Span<byte>(_memory + region * _regionStride, _regionBytes);
    }
}
