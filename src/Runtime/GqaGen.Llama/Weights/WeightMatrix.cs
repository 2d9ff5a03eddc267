using GqaGen.Gguf;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>
/// A row-major weight matrix as stored in GGUF: <see cref="Rows"/> output rows, each <see cref="Columns"/> input
/// elements contiguous (GGUF dimensions <c>[Columns, Rows]</c>), kept in the file's storage type (F32, F16, BF16,
/// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 or the K-quants Q2_K to Q6_K) and dequantized on the fly inside the kernels, never
/// expanded up front. The data is not copied: the matrix
/// holds the object that keeps it alive (the <see cref="GgufFile"/>, or a pinned array).
/// </summary>
/// <remarks>
/// <para>Accuracy: dequantization gives ggml's values bit for bit (exact products, rounded at most once where a
/// minimum is added), so the only other rounding is the fp32 accumulation of the dot products. Against a double-precision dot product of the dequantized weights, every output satisfies
/// <c>|y[r] − ref[r]| ≤ 1e-5 · Σ_c |W[r, c] · x[c]|</c>, and a whole output of many rows
/// <c>max_r |y[r] − ref[r]| ≤ 1e-5 · max_r |ref[r]|</c> (the tests check both, the second on outputs of 17 or more
/// rows, for every type, path and shape they use, rows of up to 2080 columns). The bound is relative to the terms
/// summed, not to the sum: an output that is the small remainder of a cancelling sum is as accurate in absolute terms
/// as any other, but not to 1e-5 of itself, with any fp32 accumulation order. NaN or infinity in x propagates;
/// weights are assumed finite (an F16 infinity or NaN, weight or block scale, is read as a finite ±65536…131008, see
/// <see cref="HalfBits"/>; absurd scales give huge or infinite products, never an exception).</para>
/// <para>Determinism: for a given instruction-set path, a row's output is the same bits whatever the thread count
/// or the row slice asked for. <see cref="MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/> on
/// the scalar path gives each token the bits of its matrix-vector product; on the AVX-512 and AVX2 paths it sums in
/// another order (<see cref="MatMulKernel"/>), within the same bound, and a token's outputs depend only on its own x:
/// not on the other tokens, the batch size (one included) or which of the two paths ran.</para>
/// <para>Thread safety: a matrix is immutable; any number of threads may multiply with it at once. The methods check
/// once per call that a GGUF file they read from has not been disposed; disposing it <em>during</em> a call is the
/// caller's race to avoid.</para>
/// </remarks>
public sealed unsafe class WeightMatrix
{
    private static readonly GgmlType[] s_supportedTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    private readonly byte* _data;
    private readonly nint _rowBytes;
    private readonly object? _keepAlive;

    /// <summary>Wraps <paramref name="byteLength"/> bytes at <paramref name="data"/>, which must stay valid while
    /// <paramref name="keepAlive"/> is reachable (and, for a <see cref="GgufFile"/>, until it is disposed).</summary>
    /// <exception cref="NotSupportedException"><paramref name="type"/> is not one of <see cref="SupportedTypes"/>.</exception>
    /// <exception cref="ArgumentException">The shape does not fit the type, or <paramref name="byteLength"/> is not the shape's size.</exception>
    internal WeightMatrix(string name, GgmlType type, int rows, int columns, byte* data, long byteLength, object? keepAlive)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (data is null)
            throw new ArgumentNullException(nameof(data));
        long rowBytes = CheckShape(name, type, rows, columns);
        long expected = rowBytes * rows;
        if (byteLength != expected)
            throw new ArgumentException($"Weight matrix '{name}' ({type}, {rows} × {columns}) needs {expected} bytes ({rows} rows of {rowBytes}); got {byteLength}.", nameof(byteLength));
        Name = name;
        Type = type;
        Rows = rows;
        Columns = columns;
        ByteSize = byteLength;
        _data = data;
        _rowBytes = (nint)rowBytes;
        _keepAlive = keepAlive;
        // Before any kernel reading this matrix is compiled, so that the JIT sees the half table's address as a constant:
        // the 4- to 6-bit formats read their block scales from it (QuantBits.Half); F32, F16, BF16 and Q8_0 do not.
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0))
            HalfBits.InitializeTable();
    }

    /// <summary>
    /// The matrix of a 2-D GGUF tensor, reading the file's bytes in place (memory-mapped or pinned); valid until
    /// <paramref name="file"/> is disposed.
    /// </summary>
    /// <exception cref="NotSupportedException">The tensor's type is not one of <see cref="SupportedTypes"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is not 2-D, has a dimension over <see cref="int.MaxValue"/>, or
    /// belongs to another file.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="file"/> has been disposed.</exception>
    public static WeightMatrix FromGguf(GgufFile file, GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!IsSupported(tensor.Type))
            throw new NotSupportedException($"Tensor '{tensor.Name}' is stored as {tensor.Type}; a weight matrix reads {SupportedTypeList} only. Convert or requantize the model to one of them (e.g. llama.cpp's llama-quantize ... Q4_K_M or Q8_0).");
        long[] dimensions = tensor.Dimensions;
        if (dimensions.Length != 2)
            throw new ArgumentException($"Tensor '{tensor.Name}' has {dimensions.Length} dimension(s) [{string.Join(", ", dimensions)}]; a weight matrix needs exactly 2, GGUF order [columns, rows].", nameof(tensor));
        if (dimensions[0] is < 1 or > int.MaxValue || dimensions[1] is < 1 or > int.MaxValue)
            throw new ArgumentException($"Tensor '{tensor.Name}' has dimensions [{dimensions[0]}, {dimensions[1]}]; each must be 1 to {int.MaxValue}.", nameof(tensor));
        byte* data = file.TensorPointer(tensor);
        return new WeightMatrix(tensor.Name, tensor.Type, (int)dimensions[1], (int)dimensions[0], data, tensor.ByteSize, file);
    }

    /// <summary>
    /// A matrix over <paramref name="data"/>, encoded in <paramref name="type"/> row after row (for tests and synthetic
    /// models). The array is not copied but pinned for the matrix's lifetime; changing it changes the weights.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="type"/> is not one of <see cref="SupportedTypes"/>.</exception>
    /// <exception cref="ArgumentException">The shape does not fit the type, or <paramref name="data"/> is not exactly
    /// <see cref="RowByteSize"/> × <paramref name="rows"/> bytes.</exception>
    public static WeightMatrix FromArray(string name, GgmlType type, int rows, int columns, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        long rowBytes = CheckShape(name, type, rows, columns);
        if (data.LongLength != rowBytes * rows)
            throw new ArgumentException($"Weight matrix '{name}' ({type}, {rows} × {columns}) needs {rowBytes * rows} bytes ({rows} rows of {rowBytes}); the array has {data.LongLength}.", nameof(data));
        var pinned = new PinnedArray(data);
        return new WeightMatrix(name, type, rows, columns, pinned.Pointer, data.LongLength, pinned);
    }

    /// <summary>The storage types a weight matrix reads: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K,
    /// Q4_K, Q5_K and Q6_K (not Q8_K, which ggml uses only for activations, nor the IQ types).</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes => s_supportedTypes;

    /// <summary>Whether <paramref name="type"/> is one of <see cref="SupportedTypes"/>.</summary>
    public static bool IsSupported(GgmlType type) => Array.IndexOf(s_supportedTypes, type) >= 0;

    /// <summary>Bytes one row of <paramref name="columns"/> weights occupies in <paramref name="type"/>: 4, 2, 2
    /// bytes per weight for F32, F16, BF16; for the block types, the type's block bytes per block (34 per 32 weights
    /// for Q8_0, 144 per 256 for Q4_K: ggml's block sizes).</summary>
    /// <exception cref="NotSupportedException"><paramref name="type"/> is not one of <see cref="SupportedTypes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="columns"/> is not positive, or not a multiple of the
    /// type's block (32 weights, or 256 for the K-quants).</exception>
    public static long RowByteSize(GgmlType type, int columns) => CheckShape("(row)", type, 1, columns);

    /// <summary>The tensor's name, e.g. <c>blk.0.ffn_down.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The storage type.</summary>
    public GgmlType Type { get; }

    /// <summary>Output rows (GGUF dimension 1).</summary>
    public int Rows { get; }

    /// <summary>Input elements per row (GGUF dimension 0, contiguous).</summary>
    public int Columns { get; }

    /// <summary>The bytes of weights: what one full multiply streams from memory.</summary>
    public long ByteSize { get; }

    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for <c>r</c> in <c>[firstRow, firstRow + rowCount)</c>
    /// on the calling thread; the rest of <paramref name="y"/> is not touched.
    /// </summary>
    /// <param name="x">The input, <see cref="Columns"/> elements.</param>
    /// <param name="y">The output, <see cref="Rows"/> elements; must not overlap <paramref name="x"/>.</param>
    /// <param name="firstRow">The first row to compute.</param>
    /// <param name="rowCount">How many rows to compute (0 computes nothing).</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or they overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The row range is not inside <c>[0, Rows)</c>.</exception>
    /// <exception cref="ObjectDisposedException">The GGUF file the matrix reads has been disposed.</exception>
    public void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, int firstRow, int rowCount)
        => MultiplyVector(x, y, firstRow, rowCount, MatVecKernel.BestPath);

    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for every row, the rows split into contiguous chunks
    /// (multiples of 4 rows) over <paramref name="pool"/>'s threads, or on the calling thread when it is null.
    /// </summary>
    /// <param name="x">The input, <see cref="Columns"/> elements.</param>
    /// <param name="y">The output, <see cref="Rows"/> elements; must not overlap <paramref name="x"/>.</param>
    /// <param name="pool">The threads to use; null for the calling thread only.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or they overlap.</exception>
    /// <exception cref="ObjectDisposedException">The GGUF file the matrix reads, or the pool, has been disposed.</exception>
    public void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, ComputePool? pool = null)
        => MultiplyVector(x, y, pool, MatVecKernel.BestPath);

    /// <summary>
    /// Effectively computes <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for <paramref name="tokens"/> inputs at once (prompt
    /// prefill): a register-blocked matrix product (<see cref="MatMulKernel"/>: each weight dequantized once per 64
    /// tokens, each weight loaded used for 32 tokens, each x vector for 12 rows), whose outputs meet the bound in the
    /// remarks but are not the bits of <see cref="MultiplyVector(ReadOnlySpan{float}, Span{float}, ComputePool?)"/>
    /// (except on the scalar path); a token's outputs do not depend on the rest of the batch, so a prompt gives the same
    /// bits however it is cut into calls.
    /// </summary>
    /// <param name="x">The inputs, row-major <c>(tokens, Columns)</c>.</param>
    /// <param name="tokens">How many inputs (0 computes nothing).</param>
    /// <param name="y">The outputs, row-major <c>(tokens, Rows)</c>; must not overlap <paramref name="x"/>.</param>
    /// <param name="pool">The threads to use (rows are split over them); null for the calling thread only.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or they overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The GGUF file the matrix reads, or the pool, has been disposed.</exception>
    public void MultiplyMatrix(ReadOnlySpan<float> x, int tokens, Span<float> y, ComputePool? pool = null)
        => MultiplyMatrix(x, tokens, y, pool, MatVecKernel.BestPath);

    /// <summary>
    /// Whether <see cref="MultiplyVector(Int8Activations, Span{float}, ComputePool?)"/> takes matrices of
    /// <paramref name="type"/>: the K-quants Q2_K to Q6_K and the 32-weight formats Q4_0, Q4_1, Q5_0 and Q5_1. F32, F16,
    /// BF16 and Q8_0 stream at memory speed with fp32 activations already.
    /// </summary>
    public static bool SupportsInt8Activations(GgmlType type) => Int8BlockElements(type) != 0;

    /// <summary>
    /// The block size of the <see cref="Int8Activations"/> that matrices of <paramref name="type"/> multiply:
    /// <see cref="Int8Activations.SuperBlockElements"/> (256) for the K-quants, <see cref="Int8Activations.SmallBlockElements"/>
    /// (32) for Q4_0, Q4_1, Q5_0 and Q5_1 (llama.cpp's pairing: <c>q8_K</c> and <c>q8_0</c>/<c>q8_1</c>), 0 for a type
    /// <see cref="SupportsInt8Activations"/> does not take.
    /// </summary>
    public static int Int8BlockElements(GgmlType type) => type switch
    {
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => Int8Activations.SuperBlockElements,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 => Int8Activations.SmallBlockElements,
        _ => 0,
    };

    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for every row with activations quantized to 8 bits
    /// (<see cref="Int8Activations"/>), with integer products (llama.cpp's way of multiplying quantized weights): the exact
    /// product of the dequantized weights with the dequantized activations, up to fp32 accumulation. Faster than
    /// <see cref="MultiplyVector(ReadOnlySpan{float}, Span{float}, ComputePool?)"/> where dequantizing is the bottleneck,
    /// at the price of the activations' rounding (see <see cref="Int8Activations"/>). Rows are split over
    /// <paramref name="pool"/> as there; a row's bits depend on the instruction-set path only.
    /// </summary>
    /// <exception cref="NotSupportedException">The matrix's type is not one <see cref="SupportsInt8Activations"/> takes.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not <see cref="Columns"/> long, or <paramref name="y"/>
    /// not <see cref="Rows"/>.</exception>
    /// <exception cref="ObjectDisposedException">The GGUF file the matrix reads, or the pool, has been disposed.</exception>
    public void MultiplyVector(Int8Activations x, Span<float> y, ComputePool? pool = null)
        => MultiplyVector(x, y, pool, MatVecKernel.BestPath);

    /// <summary>Effectively computes <c>destination[c] = W[row, c]</c>: one row as floats (an embedding lookup).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not in <c>[0, Rows)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="Columns"/> elements.</exception>
    /// <exception cref="ObjectDisposedException">The GGUF file the matrix reads has been disposed.</exception>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Weight matrix '{Name}' has rows 0 to {Rows - 1}; got {row}.");
        CheckLength(destination.Length, Columns, nameof(destination), "Columns");
        ThrowIfSourceDisposed();
        byte* source = _data + row * _rowBytes;
        fixed (float* d = destination)
        {
            switch (Type)
            {
                case GgmlType.F32: RowDequantizer.Dequantize<F32Format>(source, Columns, d); break;
                case GgmlType.F16: RowDequantizer.Dequantize<F16Format>(source, Columns, d); break;
                case GgmlType.BF16: RowDequantizer.Dequantize<BF16Format>(source, Columns, d); break;
                case GgmlType.Q8_0: RowDequantizer.Dequantize<Q8_0Format>(source, Columns, d); break;
                case GgmlType.Q4_0: RowDequantizer.Dequantize<Q4_0Format>(source, Columns, d); break;
                case GgmlType.Q4_1: RowDequantizer.Dequantize<Q4_1Format>(source, Columns, d); break;
                case GgmlType.Q5_0: RowDequantizer.Dequantize<Q5_0Format>(source, Columns, d); break;
                case GgmlType.Q5_1: RowDequantizer.Dequantize<Q5_1Format>(source, Columns, d); break;
                case GgmlType.Q2_K: RowDequantizer.Dequantize<Q2_KFormat>(source, Columns, d); break;
                case GgmlType.Q3_K: RowDequantizer.Dequantize<Q3_KFormat>(source, Columns, d); break;
                case GgmlType.Q4_K: RowDequantizer.Dequantize<Q4_KFormat>(source, Columns, d); break;
                case GgmlType.Q5_K: RowDequantizer.Dequantize<Q5_KFormat>(source, Columns, d); break;
                default: RowDequantizer.Dequantize<Q6_KFormat>(source, Columns, d); break;
            }
        }
        GC.KeepAlive(_keepAlive);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type} [{Rows} × {Columns}] ({ByteSize} bytes)";

    /// <summary><see cref="MultiplyVector(ReadOnlySpan{float}, Span{float}, int, int)"/> on a chosen path (tests run every path).</summary>
    internal void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, int firstRow, int rowCount, GqaKernelPath path)
    {
        CheckVectors(x, y);
        if (firstRow < 0 || firstRow > Rows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), firstRow, $"Weight matrix '{Name}' has rows 0 to {Rows - 1}; the first row must be 0 to {Rows}.");
        if (rowCount < 0 || rowCount > Rows - firstRow)
            throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, $"Weight matrix '{Name}' has {Rows} rows; from row {firstRow} the row count must be 0 to {Rows - firstRow}.");
        Multiply(x, 1, y, firstRow, rowCount, null, path);
    }

    /// <summary><see cref="MultiplyVector(ReadOnlySpan{float}, Span{float}, ComputePool?)"/> on a chosen path.</summary>
    internal void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, ComputePool? pool, GqaKernelPath path)
    {
        CheckVectors(x, y);
        Multiply(x, 1, y, 0, Rows, pool, path);
    }

    /// <summary><see cref="MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/> on a chosen path.</summary>
    internal void MultiplyMatrix(ReadOnlySpan<float> x, int tokens, Span<float> y, ComputePool? pool, GqaKernelPath path)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        CheckLength(x.Length, (long)tokens * Columns, nameof(x), $"tokens × Columns = {tokens} × {Columns}");
        CheckLength(y.Length, (long)tokens * Rows, nameof(y), $"tokens × Rows = {tokens} × {Rows}");
        CheckNoOverlap(x, y);
        Multiply(x, tokens, y, 0, Rows, pool, path, batched: true);
    }

    /// <summary><see cref="MultiplyVector(Int8Activations, Span{float}, ComputePool?)"/> on a chosen path.</summary>
    internal void MultiplyVector(Int8Activations x, Span<float> y, ComputePool? pool, GqaKernelPath path)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!SupportsInt8Activations(Type))
            throw new NotSupportedException($"Weight matrix '{Name}' is {Type}; integer dot products with 8-bit activations take {string.Join(", ", s_supportedTypes.Where(SupportsInt8Activations))} only.");
        CheckLength(x.Length, Columns, nameof(x), "Columns");
        if (x.BlockElements != Int8BlockElements(Type))
            throw new ArgumentException($"Weight matrix '{Name}' is {Type}, which multiplies int8 activations in blocks of {Int8BlockElements(Type)} elements; got blocks of {x.BlockElements}. Create them with new Int8Activations(length, WeightMatrix.Int8BlockElements(type)).", nameof(x));
        CheckLength(y.Length, Rows, nameof(y), "Rows");
        if (pool is not null)
            ObjectDisposedException.ThrowIf(pool.IsDisposed, pool);
        ThrowIfSourceDisposed();
        fixed (float* py = y)
        {
            var job = new Int8Job
            {
                Rows = _data,
                RowBytes = _rowBytes,
                Columns = Columns,
                X = x.Source(),
                Y = py,
                Type = Type,
                Path = path,
            };
            SplitRows(Rows, pool, &RunInt8Rows, &job);
        }
        GC.KeepAlive(x);
        GC.KeepAlive(_keepAlive);
    }

    /// <summary>One chunk of an integer-product multiply: rows [start, end).</summary>
    private static void RunInt8Rows(void* state, int start, int end)
    {
        Int8Job* job = (Int8Job*)state;
        switch (job->Type)
        {
            case GgmlType.Q2_K: RunInt8Rows<Q2_KFormat>(job, start, end - start); break;
            case GgmlType.Q3_K: RunInt8Rows<Q3_KFormat>(job, start, end - start); break;
            case GgmlType.Q4_K: RunInt8Rows<Q4_KFormat>(job, start, end - start); break;
            case GgmlType.Q5_K: RunInt8Rows<Q5_KFormat>(job, start, end - start); break;
            case GgmlType.Q6_K: RunInt8Rows<Q6_KFormat>(job, start, end - start); break;
            case GgmlType.Q4_0: RunInt8Blocks<Q4_0Format>(job, start, end - start); break;
            case GgmlType.Q4_1: RunInt8Blocks<Q4_1Format>(job, start, end - start); break;
            case GgmlType.Q5_0: RunInt8Blocks<Q5_0Format>(job, start, end - start); break;
            default: RunInt8Blocks<Q5_1Format>(job, start, end - start); break;
        }
    }

    private static void RunInt8Rows<TFormat>(Int8Job* job, int start, int count)
        where TFormat : IInt8DotFormat
        => Int8DotKernel.MultiplyRows<TFormat>(job->Path, job->Rows + start * job->RowBytes, job->RowBytes, job->Columns,
            job->X, job->Y + start, count);

    private static void RunInt8Blocks<TFormat>(Int8Job* job, int start, int count)
        where TFormat : IInt8BlockFormat
        => Int8BlockKernel.MultiplyRows<TFormat>(job->Path, job->Rows + start * job->RowBytes, job->RowBytes, job->Columns,
            job->X, job->Y + start, count);

    private void CheckVectors(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x.Length, Columns, nameof(x), "Columns");
        CheckLength(y.Length, Rows, nameof(y), "Rows");
        CheckNoOverlap(x, y);
    }

    private void CheckLength(int actual, long expected, string parameter, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"Weight matrix '{Name}' ({Rows} × {Columns}) needs {expected} elements in {parameter} ({what}); got {actual}.", parameter);
    }

    private void CheckNoOverlap(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Overlaps(y))
            throw new ArgumentException($"The output of weight matrix '{Name}' overlaps its input; the kernels read x while writing y, so use separate buffers.", nameof(y));
    }

    private void ThrowIfSourceDisposed()
    {
        if (_keepAlive is GgufFile { IsDisposed: true })
            throw new ObjectDisposedException(nameof(GgufFile), $"Weight matrix '{Name}' reads its weights from a GGUF file that has been disposed.");
    }

    /// <summary>Rows [firstRow, firstRow + rowCount) for every token, on the pool or inline; arguments checked. Batched
    /// (MultiplyMatrix) calls go to the batched kernel even for one token, so that a token's bits do not depend on the
    /// batch size; the others to the matrix-vector kernel.</summary>
    private void Multiply(ReadOnlySpan<float> x, int tokens, Span<float> y, int firstRow, int rowCount, ComputePool? pool, GqaKernelPath path, bool batched = false)
    {
        if (pool is not null)
            ObjectDisposedException.ThrowIf(pool.IsDisposed, pool);
        if (rowCount == 0 || tokens == 0)
            return;
        ThrowIfSourceDisposed();
        fixed (float* px = x, py = y)
        {
            var job = new Job
            {
                Rows = _data + firstRow * _rowBytes,
                RowBytes = _rowBytes,
                Columns = Columns,
                X = px,
                Y = py + firstRow,
                Tokens = tokens,
                YStride = Rows,
                Type = Type,
                Path = path,
                Batched = batched,
            };
            SplitRows(rowCount, pool, &RunRows, &job);
        }
        GC.KeepAlive(_keepAlive);
    }

    /// <summary>Runs <paramref name="chunk"/> over rows [0, <paramref name="rowCount"/>): split over the pool's threads in
    /// multiples of <see cref="MatVecKernel.RowTile"/> rows, or on the calling thread alone when there is no pool, one
    /// thread, or a single tile.</summary>
    private static void SplitRows(int rowCount, ComputePool? pool, delegate*<void*, int, int, void> chunk, void* job)
    {
        if (pool is null || pool.Threads == 1 || rowCount <= MatVecKernel.RowTile)
            chunk(job, 0, rowCount);
        else
            pool.For(rowCount, MatVecKernel.RowTile, chunk, job);
    }

    /// <summary>One chunk of a multiply: rows [start, end) of the job's slice, every token.</summary>
    private static void RunRows(void* state, int start, int end)
    {
        Job* job = (Job*)state;
        switch (job->Type)
        {
            case GgmlType.F32: RunRows<F32Format>(job, start, end - start); break;
            case GgmlType.F16: RunRows<F16Format>(job, start, end - start); break;
            case GgmlType.BF16: RunRows<BF16Format>(job, start, end - start); break;
            case GgmlType.Q8_0: RunRows<Q8_0Format>(job, start, end - start); break;
            case GgmlType.Q4_0: RunRows<Q4_0Format>(job, start, end - start); break;
            case GgmlType.Q4_1: RunRows<Q4_1Format>(job, start, end - start); break;
            case GgmlType.Q5_0: RunRows<Q5_0Format>(job, start, end - start); break;
            case GgmlType.Q5_1: RunRows<Q5_1Format>(job, start, end - start); break;
            case GgmlType.Q2_K: RunRows<Q2_KFormat>(job, start, end - start); break;
            case GgmlType.Q3_K: RunRows<Q3_KFormat>(job, start, end - start); break;
            case GgmlType.Q4_K: RunRows<Q4_KFormat>(job, start, end - start); break;
            case GgmlType.Q5_K: RunRows<Q5_KFormat>(job, start, end - start); break;
            default: RunRows<Q6_KFormat>(job, start, end - start); break;
        }
    }

    private static void RunRows<TFormat>(Job* job, int start, int count)
        where TFormat : IWeightFormat
    {
        byte* rows = job->Rows + start * job->RowBytes;
        if (!job->Batched)
            MatVecKernel.MultiplyRows<TFormat>(job->Path, rows, job->RowBytes, job->Columns, job->X, job->Y + start, count);
        else
            MatMulKernel.MultiplyTokens<TFormat>(job->Path, rows, job->RowBytes, job->Columns, job->X, job->Tokens, job->Y + start, job->YStride, count);
    }

    /// <summary>Checks a shape against a type; returns the bytes per row.</summary>
    private static long CheckShape(string name, GgmlType type, int rows, int columns)
    {
        if (!IsSupported(type))
            throw new NotSupportedException($"Weight matrix '{name}' has type {type}; a weight matrix reads {SupportedTypeList} only.");
        if (rows < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Weight matrix '{name}' needs at least 1 row; got {rows}.");
        if (columns < 1)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"Weight matrix '{name}' needs at least 1 column; got {columns}.");
        switch (type)
        {
            case GgmlType.F32:
                return 4L * columns;
            case GgmlType.F16:
            case GgmlType.BF16:
                return 2L * columns;
            default:
                (int blockElements, int blockBytes) = BlockShape(type);
                if (columns % blockElements != 0)
                    throw new ArgumentException($"Weight matrix '{name}' is {type}, stored in blocks of {blockElements} weights, so its columns must be a multiple of {blockElements}; got {columns}. Requantize the tensor to a type whose block divides its rows (e.g. Q8_0 or F16).", nameof(columns));
                return (long)columns / blockElements * blockBytes;
        }
    }

    /// <summary>A block type's (weights, bytes) per block, from its format struct (which the kernels read with).</summary>
    private static (int Elements, int Bytes) BlockShape(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => (Q8_0Format.BlockElements, Q8_0Format.BlockBytes),
        GgmlType.Q4_0 => (Q4_0Format.BlockElements, Q4_0Format.BlockBytes),
        GgmlType.Q4_1 => (Q4_1Format.BlockElements, Q4_1Format.BlockBytes),
        GgmlType.Q5_0 => (Q5_0Format.BlockElements, Q5_0Format.BlockBytes),
        GgmlType.Q5_1 => (Q5_1Format.BlockElements, Q5_1Format.BlockBytes),
        GgmlType.Q2_K => (Q2_KFormat.BlockElements, Q2_KFormat.BlockBytes),
        GgmlType.Q3_K => (Q3_KFormat.BlockElements, Q3_KFormat.BlockBytes),
        GgmlType.Q4_K => (Q4_KFormat.BlockElements, Q4_KFormat.BlockBytes),
        GgmlType.Q5_K => (Q5_KFormat.BlockElements, Q5_KFormat.BlockBytes),
        _ => (Q6_KFormat.BlockElements, Q6_KFormat.BlockBytes),
    };

    private static string SupportedTypeList => string.Join(", ", s_supportedTypes);

    /// <summary>What every chunk of one integer-product multiply needs; lives in the caller's frame. The activations'
    /// arrays are pinned for their lifetime (<see cref="Int8Activations"/>), and the caller keeps them alive.</summary>
    private struct Int8Job
    {
        public byte* Rows;
        public nint RowBytes;
        public int Columns;
        public Int8Source X;
        public float* Y;
        public GgmlType Type;
        public GqaKernelPath Path;
    }

    /// <summary>What every chunk of one multiply needs; lives in the caller's frame for the duration of the call.</summary>
    private struct Job
    {
        public byte* Rows;
        public nint RowBytes;
        public int Columns;
        public float* X;
        public float* Y;
        public int Tokens;
        public int YStride;
        public GgmlType Type;
        public GqaKernelPath Path;
        public bool Batched;
    }
}
