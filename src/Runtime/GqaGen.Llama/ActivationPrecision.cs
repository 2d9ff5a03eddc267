namespace GqaGen.Llama;

/// <summary>How a decode step multiplies activations with quantized weights (<see cref="LlamaModelOptions.Activations"/>).</summary>
public enum ActivationPrecision
{
    /// <summary>fp32 activations: the exact product with the dequantized weights, up to fp32 accumulation. The default.</summary>
    Float32,

    /// <summary>Activations quantized to 8 bits (<see cref="Int8Activations"/>: one scale per 256 elements for the
    /// K-quants, per 32 for Q4_0, Q4_1, Q5_0 and Q5_1) for the weight types that take them
    /// (<see cref="WeightMatrix.SupportsInt8Activations"/>), multiplied with integer products as llama.cpp does, in decode
    /// steps: faster on quantized files, at the price of the activations' rounding. Other types (F32, F16, BF16, Q8_0),
    /// and prompts (<see cref="LlamaSession.Prefill(ReadOnlySpan{int})"/>), keep fp32.</summary>
    Int8,
}
