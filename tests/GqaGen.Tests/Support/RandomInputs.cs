namespace GqaGen.Tests.Support;

/// <summary>Draws query, key and value data for the kernel tests.</summary>
internal sealed class RandomInputs
{
    /// <summary>The raw |q·k| the <see cref="InputVariant.LargeLogits"/> variant aims for.</summary>
    public const double LargeLogitTarget = 60;

    // Small isotropic noise on top of the shared direction, so that the aligned inputs are not rank one and every
    // element of every row still differs.
    private const float Noise = 0.05f;

    private readonly Random _random;
    private readonly GqaShape _shape;
    private readonly bool _largeLogits;
    private readonly float[][] _groupDirections;

    public RandomInputs(GqaShape shape, InputVariant variant, int seed)
    {
        _random = new Random(seed);
        _shape = shape;
        _largeLogits = variant == InputVariant.LargeLogits;
        _groupDirections = Enumerable.Range(0, shape.KvGroups).Select(_ => UnitVector(shape.HeadDim)).ToArray();
    }

    /// <summary>One query token, <c>Heads × HeadDim</c>.</summary>
    public float[] Query()
    {
        var query = new float[_shape.QueryLength];
        int d = _shape.HeadDim;
        for (int h = 0; h < _shape.Heads; h++)
        {
            Span<float> head = query.AsSpan(h * d, d);
            if (_largeLogits)
            {
                // |a| in [0.9, 1]·√60: with a key of |b| = √60 along the same direction, |q·k| ≈ 54 to 60.
                float magnitude = (float)(Math.Sqrt(LargeLogitTarget) * (0.9 + 0.1 * _random.NextDouble()));
                AlongDirection(head, _groupDirections[h / _shape.HeadsPerGroup], RandomSign() * magnitude);
            }
            else
                Uniform(head);
        }
        return query;
    }

    /// <summary>
    /// One token's keys, <c>KvGroups × HeadDim</c>. With large logits the key's extent along its group's direction is
    /// uniform in [-√60, √60], or exactly ±√60 when <paramref name="extreme"/> (so that every case, even of length 1,
    /// reaches the target).
    /// </summary>
    public float[] KeyRow(bool extreme)
    {
        var key = new float[_shape.KvLength];
        int d = _shape.HeadDim;
        for (int g = 0; g < _shape.KvGroups; g++)
        {
            Span<float> row = key.AsSpan(g * d, d);
            if (_largeLogits)
            {
                double extent = extreme ? RandomSign() : 2 * _random.NextDouble() - 1;
                AlongDirection(row, _groupDirections[g], (float)(Math.Sqrt(LargeLogitTarget) * extent));
            }
            else
                Uniform(row);
        }
        return key;
    }

    /// <summary>One token's values, uniform in [-1, 1].</summary>
    public float[] ValueRow()
    {
        var value = new float[_shape.KvLength];
        Uniform(value);
        return value;
    }

    /// <summary>A position in [0, <paramref name="count"/>).</summary>
    public int Position(int count) => _random.Next(count);

    private void Uniform(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = 2 * _random.NextSingle() - 1;
    }

    private void AlongDirection(Span<float> destination, float[] direction, float extent)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = extent * direction[i] + Noise * (2 * _random.NextSingle() - 1);
    }

    private float RandomSign() => _random.Next(2) == 0 ? -1f : 1f;

    private float[] UnitVector(int length)
    {
        // Gaussian components (Box–Muller) give a direction uniform on the sphere: no axis or lane is favoured.
        var vector = new double[length];
        for (int i = 0; i < length; i++)
            vector[i] = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
        double norm = Math.Sqrt(vector.Sum(x => x * x));
        return vector.Select(x => (float)(x / norm)).ToArray();
    }
}
