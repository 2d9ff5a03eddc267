using System.Collections.ObjectModel;

namespace GqaGen.Gguf;

/// <summary>One GGUF metadata value: a scalar, a string or an array (arrays may nest).</summary>
/// <remarks>
/// Scalars are held as their CLR type (<see cref="GgufValueType.UInt32"/> as <see cref="uint"/>, ...,
/// <see cref="GgufValueType.String"/> as <see cref="string"/>). An array holds a typed CLR array of its elements
/// (<c>uint[]</c>, <c>string[]</c>, ...); an array of arrays holds <see cref="GgufValue"/> elements.
/// </remarks>
public sealed class GgufValue
{
    private readonly object _value;

    internal GgufValue(string name, GgufValueType type, object value, long offset, GgufValueType elementType = default)
    {
        Name = name;
        Type = type;
        _value = value;
        Offset = offset;
        ElementType = elementType;
    }

    /// <summary>The metadata key this value belongs to (with <c>[i]</c> suffixes for elements of nested arrays).</summary>
    public string Name { get; }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, the type of its elements; otherwise meaningless.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The byte offset in the file where the value starts.</summary>
    public long Offset { get; }

    /// <summary>The value as an object: the boxed scalar, the string, or the typed CLR array of an array's elements.</summary>
    public object Value => _value;

    /// <summary>Whether this is an array.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The number of elements of an array.</summary>
    /// <exception cref="GgufFormatException">The value is not an array.</exception>
    public int ArrayLength => IsArray ? ((Array)_value).Length : throw Mismatch("an array");

    /// <summary>The value as <typeparamref name="T"/>, which must be the CLR type of <see cref="Type"/> exactly
    /// (<see cref="uint"/> for <see cref="GgufValueType.UInt32"/>, <see cref="string"/> for strings, ...).</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public T As<T>() => !IsArray && _value is T t ? t : throw Mismatch(ClrName(typeof(T)));

    /// <summary>The value of an 8-bit unsigned integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public byte AsUInt8() => As<byte>();

    /// <summary>The value of an 8-bit signed integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public sbyte AsInt8() => As<sbyte>();

    /// <summary>The value of a 16-bit unsigned integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public ushort AsUInt16() => As<ushort>();

    /// <summary>The value of a 16-bit signed integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public short AsInt16() => As<short>();

    /// <summary>The value of a 32-bit unsigned integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public uint AsUInt32() => As<uint>();

    /// <summary>The value of a 32-bit signed integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public int AsInt32() => As<int>();

    /// <summary>The value of a 64-bit unsigned integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public ulong AsUInt64() => As<ulong>();

    /// <summary>The value of a 64-bit signed integer.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public long AsInt64() => As<long>();

    /// <summary>The value of a 32-bit float.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public float AsFloat32() => As<float>();

    /// <summary>The value of a 64-bit float.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public double AsFloat64() => As<double>();

    /// <summary>The value of a boolean.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public bool AsBool() => As<bool>();

    /// <summary>The value of a string.</summary>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public string AsString() => As<string>();

    /// <summary>Any integer type (signed or unsigned, 8 to 64 bits) widened to <see cref="long"/>; converters
    /// disagree on whether, say, a context length is stored as UINT32 or UINT64.</summary>
    /// <exception cref="GgufFormatException">The value is not an integer, or is a UINT64 above <see cref="long.MaxValue"/>.</exception>
    public long AsInteger() => _value switch
    {
        _ when IsArray => throw Mismatch("an integer"),
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        ulong v => throw new GgufFormatException($"metadata '{Name}' holds {v}, which does not fit a signed 64-bit integer", Offset),
        _ => throw Mismatch("an integer"),
    };

    /// <summary>The elements of an array whose elements have CLR type <typeparamref name="T"/> exactly
    /// (<see cref="string"/> for a string array, <see cref="GgufValue"/> for an array of arrays, ...).</summary>
    /// <exception cref="GgufFormatException">The value is not an array, or its elements have another type.</exception>
    public IReadOnlyList<T> AsArray<T>() =>
        IsArray && _value is T[] items ? Array.AsReadOnly(items) : throw Mismatch($"an array of {ClrName(typeof(T))}");

    /// <summary>The elements of an array of arrays.</summary>
    /// <exception cref="GgufFormatException">The value is not an array of arrays.</exception>
    public IReadOnlyList<GgufValue> AsNestedArray() => AsArray<GgufValue>();

    /// <inheritdoc/>
    public override string ToString() => IsArray
        ? $"{Name}: array of {ArrayLength} {ElementType}"
        : $"{Name}: {Type} {_value}";

    private GgufFormatException Mismatch(string expected) => new(
        $"metadata '{Name}' was expected to be {expected} but is {Describe()}", Offset);

    private string Describe() => IsArray ? $"an array of {ElementType}" : $"of type {Type}";

    private static string ClrName(Type t) => t == typeof(GgufValue) ? "arrays" : t.Name;
}
