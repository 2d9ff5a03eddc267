using System.Runtime.InteropServices;

namespace GqaGen;

/// <summary>
/// The key/value cache of a stack of attention layers, in 64-byte-aligned native memory of fixed capacity.
/// </summary>
/// <remarks>
/// <para>Keys and values are two separate regions, each laid out <c>(layer, group, position, headDim)</c>:
/// for one layer and one K/V head, consecutive positions are consecutive rows of <c>HeadDim</c> elements,
/// so a decode step streams each group's rows front to back.</para>
/// <para>The memory is zeroed at creation and freed by <see cref="Dispose"/>. Spans obtained from
/// <see cref="Keys"/> or <see cref="Values"/> must not be used after the cache is disposed.</para>
/// </remarks>
public sealed unsafe class KvCache : IDisposable
{
    /// <summary>Alignment of every layer's K and V region, in bytes (one cache line, one Vector512).</summary>
    public const int Alignment = 64;

    private readonly long _layerElements;

    /// <summary>Bytes from one region (one layer's K or V) to the next: its size rounded up to whole <see cref="Alignment"/> units,
    /// so that every region, not only the first, starts on an aligned address.</summary>
    private readonly long _regionStride;

    private byte* _memory;

    /// <summary>Allocates a zeroed cache for <paramref name="layers"/> layers of <paramref name="shape"/>, holding <paramref name="capacity"/> positions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or one layer's K region would exceed <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="elementType"/> is not a known element type.</exception>
    public KvCache(GqaShape shape, int layers, int capacity, KvElementType elementType = KvElementType.Float32)
    {
        if (shape.Heads == 0)
            throw new ArgumentException("The shape is uninitialized (default(GqaShape)); create it with new GqaShape(heads, kvGroups, headDim).", nameof(shape));
        if (layers <= 0)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"A KV cache needs at least 1 layer; got {layers}.");
        if (capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"A KV cache needs a capacity of at least 1 position; got {capacity}.");
        if (!Enum.IsDefined(elementType))
            throw new ArgumentException($"Unknown KV element type {(int)elementType}; expected one of {string.Join(", ", Enum.GetNames<KvElementType>())}.", nameof(elementType));

        long layerElements = (long)shape.KvGroups * capacity * shape.HeadDim;
        if (layerElements > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"One layer's keys would hold {layerElements:N0} elements ({shape.KvGroups} groups × {capacity} positions × {shape.HeadDim}); at most {int.MaxValue:N0} are supported. Lower the capacity.");

        Shape = shape;
        Layers = layers;
        Capacity = capacity;
        ElementType = elementType;
        _layerElements = layerElements;
        long regionBytes = layerElements * elementType.SizeInBytes();
        _regionStride = (regionBytes + Alignment - 1) / Alignment * Alignment;
        long allocationBytes;
        try
        {
            SizeInBytes = checked(GqaKernelNumbers.KvBytesPerPosition(layers, shape.KvGroups, shape.HeadDim, elementType.SizeInBytes()) * capacity);
            // The allocation adds the padding between regions (under Alignment bytes each) to SizeInBytes.
            allocationBytes = checked(2L * layers * _regionStride);
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(layers), layers,
                $"{layers} layers of {regionBytes:N0} bytes of keys and as many of values do not fit in a 64-bit size. Lower the layer count or the capacity.");
        }
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)allocationBytes, Alignment);
        NativeMemory.Clear(_memory, (nuint)allocationBytes);
    }

    /// <summary>The attention layout every layer of the cache holds.</summary>
    public GqaShape Shape { get; }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Number of positions each layer can hold; positions run from 0 to <c>Capacity - 1</c>.</summary>
    public int Capacity { get; }

    /// <summary>How each element is stored.</summary>
    public KvElementType ElementType { get; }

    /// <summary>Bytes of K and V for all layers: 2 · layers · G · d · capacity · element size (the allocation also holds
    /// the under-<see cref="Alignment"/> padding that keeps each region aligned).</summary>
    public long SizeInBytes { get; }

    /// <summary>Bytes one position takes across all layers, K and V: 2 · layers · G · d · element size.</summary>
    public long BytesPerPosition => SizeInBytes / Capacity;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _memory == null;

    /// <summary>One layer's keys, <c>(group, position, headDim)</c>: <c>KvGroups × Capacity × HeadDim</c> floats.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    /// <exception cref="NotSupportedException">The cache does not store <see cref="KvElementType.Float32"/>.</exception>
    public Span<float> Keys(int layer) => Region(layer, valueRegion: false);

    /// <summary>One layer's values, <c>(group, position, headDim)</c>: <c>KvGroups × Capacity × HeadDim</c> floats.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is outside [0, <see cref="Layers"/>).</exception>
    /// <exception cref="NotSupportedException">The cache does not store <see cref="KvElementType.Float32"/>.</exception>
    public Span<float> Values(int layer) => Region(layer, valueRegion: true);

    /// <summary>Offset, in elements, of the row of <paramref name="group"/> at <paramref name="position"/> within a layer's <see cref="Keys"/> or <see cref="Values"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> or <paramref name="position"/> is outside the cache.</exception>
    public int RowOffset(int group, int position)
    {
        if ((uint)group >= (uint)Shape.KvGroups)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"Group {group} does not exist: the layout has {Shape.KvGroups} K/V group(s), 0 to {Shape.KvGroups - 1}.");
        if ((uint)position >= (uint)Capacity)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"Position {position} is outside the cache, which holds positions 0 to {Capacity - 1}.");
        return (group * Capacity + position) * Shape.HeadDim;
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

    private Span<float> Region(int layer, bool valueRegion)
    {
        ObjectDisposedException.ThrowIf(_memory == null, this);
        if ((uint)layer >= (uint)Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer {layer} does not exist: the cache has {Layers} layer(s), 0 to {Layers - 1}.");
        if (ElementType != KvElementType.Float32)
            throw new NotSupportedException($"This cache stores {ElementType}; float spans exist only for {KvElementType.Float32} caches.");

        long region = valueRegion ? Layers + layer : layer;
        return new Span<float>(_memory + region * _regionStride, (int)_layerElements);
    }
}
