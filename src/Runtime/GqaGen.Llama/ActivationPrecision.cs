namespace GqaGen.Llama;

/// <summary>How a decode step multiplies activations with quantized weights (<see cref="LlamaModelOptions.Activations"/>).</summary>
public enum ActivationPrecision
{
    /// <summary>fp32 activations: the exact product with the dequantized weights, up to fp32 accumulation. The default.</summary>
    Float32,

    /// <summary>Activations quantized to 8 bits per 32 elements (<see cref="Int8Activations"/>) for the weight types that
    /// take them (<see cref="WeightMatrix.SupportsInt8Activations"/>: the K-quants Q2_K to Q6_K), multiplied with integer products as
    /// llama.cpp does, in decode steps: faster on K-quant files, at the price of the activations' rounding. Other types,
    /// and prompts (<see cref="LlamaSession.Prefill(ReadOnlySpan{int})"/>), keep fp32.</summary>
    Int8,
}
