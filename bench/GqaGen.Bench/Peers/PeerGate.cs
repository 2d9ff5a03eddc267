using System.Globalization;

namespace GqaGen.Bench.Peers;

/// <summary>
/// The correctness gate every row of the peer benchmark passes before it is timed: one <see cref="IDecodePeer.Decode"/>
/// on the benchmark's own inputs, compared per head with <see cref="GqaReference"/>; a peer that fails is not timed.
/// </summary>
/// <remarks>
/// <para>The error of a head is normwise relative, max|out − ref| / max|ref| over its d outputs (as the kernel tests
/// measure it), so that an output element near zero does not demand impossible elementwise accuracy.</para>
/// <para><b>Float outputs: <see cref="Float32Tolerance"/> = 1e-4.</b> GqaGen's own kernels are held to 1e-5 against the
/// reference in the tests; a peer computes the same float sums in another order (ONNX Runtime's MLAS GEMMs, a
/// different exp), which the extra factor of ten allows for. What the gate must catch is a wrong result, and those are
/// far larger: with these inputs (uniform in ±1) a head's output is a nearly uniform average of T value rows, each
/// element a sum with standard deviation 1/√(3T), so max|ref| over d = 64 or 128 elements is about √(3/T); dropping or
/// duplicating one position moves some element by about 1/T, a normwise error of about 0.6/√T: 9e-3 at T = 4,096 and
/// 3e-3 at 32,768.</para>
/// <para><b>Half-precision outputs: <see cref="Float16Tolerance"/> = 2e-3.</b> A peer whose tensors are float16 (ONNX
/// Runtime's GQA with an fp16 cache) returns its output rounded to half precision: up to 2⁻¹¹ ≈ 4.9e-4 relative per
/// element, and a peer may round intermediate values (the softmax weights, the query) as well; 2e-3 is four such
/// roundings. The reference runs on the same fp16-rounded K/V and query (<see cref="DecodeInputs"/>), so storage
/// rounding is not counted against the peer. At 32,768 positions a one-position error (≈ 3e-3) is still above it, narrowly; the smoke tests (T = 37) see such a mistake as an error near 0.1.</para>
/// </remarks>
internal static class PeerGate
{
    /// <summary>The limit for peers with float outputs.</summary>
    public const double Float32Tolerance = 1e-4;

    /// <summary>The limit for peers whose output is rounded to half precision.</summary>
    public const double Float16Tolerance = 2e-3;

    /// <summary>The limit that applies to <paramref name="peer"/>.</summary>
    public static double ToleranceFor(IDecodePeer peer) => peer.RoundsOutputToHalf ? Float16Tolerance : Float32Tolerance;

    /// <summary>Runs <paramref name="peer"/> once and compares its output with <paramref name="reference"/>.</summary>
    /// <returns>The worst head and its error, when within the limit.</returns>
    /// <exception cref="PeerGateException">An output is not finite, or a head's error is above the limit.</exception>
    public static GateResult Check(IDecodePeer peer, GqaShape shape, ReadOnlySpan<float> reference)
    {
        var actual = new float[shape.QueryLength];
        peer.Decode();
        peer.CopyOutput(actual);
        return Compare(peer.Name, shape, reference, actual, ToleranceFor(peer));
    }

    /// <summary>Compares <paramref name="actual"/> with <paramref name="reference"/> head by head.</summary>
    /// <exception cref="PeerGateException">An output is not finite, or a head's error is above <paramref name="tolerance"/>.</exception>
    public static GateResult Compare(string name, GqaShape shape, ReadOnlySpan<float> reference, ReadOnlySpan<float> actual, double tolerance)
    {
        if (actual.Length != shape.QueryLength || reference.Length != shape.QueryLength)
            throw new ArgumentException($"Outputs must be {shape.QueryLength} floats (Heads × HeadDim for {shape}); got {actual.Length} (peer) and {reference.Length} (reference).");
        int d = shape.HeadDim;
        for (int i = 0; i < actual.Length; i++)
        {
            if (!float.IsFinite(actual[i]))
            {
                string what = $"output[{i}] (head {i / d}, element {i % d}) is {actual[i].ToString(CultureInfo.InvariantCulture)}";
                throw new PeerGateException($"{name}: {what}; the benchmark refuses to time it.", what);
            }
        }

        int worstHead = 0;
        double worstError = 0;
        for (int h = 0; h < shape.Heads; h++)
        {
            double maxError = 0, maxReference = 0;
            for (int i = h * d; i < (h + 1) * d; i++)
            {
                maxError = Math.Max(maxError, Math.Abs(actual[i] - (double)reference[i]));
                maxReference = Math.Max(maxReference, Math.Abs(reference[i]));
            }
            double error = maxReference > 0 ? maxError / maxReference : maxError;
            if (error > worstError)
                (worstHead, worstError) = (h, error);
        }
        var result = new GateResult(worstHead, worstError, tolerance);
        if (!(worstError <= tolerance))
        {
            string what = string.Create(CultureInfo.InvariantCulture, $"head {worstHead} off by {worstError:E1} (limit {tolerance:E0})");
            throw new PeerGateException(string.Create(CultureInfo.InvariantCulture,
                $"{name}: head {worstHead} differs from the reference by {worstError:E2} (normwise relative; limit {tolerance:E0}); the benchmark refuses to time it."), what);
        }
        return result;
    }
}

/// <summary>The outcome of a passed gate: the worst head's normwise relative error, and the limit it was held to.</summary>
internal readonly record struct GateResult(int WorstHead, double Error, double Tolerance)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ok {Error:E1} (limit {Tolerance:E0})");
}

/// <summary>A peer's output disagrees with the reference: the benchmark does not time it.</summary>
internal sealed class PeerGateException(string message, string finding) : Exception(message)
{
    /// <summary>What was wrong, without the peer's name, for a table cell: "head 3 off by 2.0E-002 (limit 1E-004)".</summary>
    public string Finding { get; } = finding;
}
