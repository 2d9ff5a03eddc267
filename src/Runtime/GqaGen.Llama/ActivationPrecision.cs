namespace GqaGen.Llama;

/// <summary>How a decode step multiplies activations with quantized weights (<see cref="LlamaModelOptions.Activations"/>).</summary>
public enum ActivationPrecision
{
    /// <summary>fp32 activations: the exact product with the dequantized weights, up to fp32 accumulation. The default.</summary>
    Float32,

    /// <summary>Activations quantized to 8 bits per 32 elements (<see cref="Int8Activations"/>) for the weight types that
    /// take them (<see cref="WeightMatrix.SupportsInt8Activations"/>), multiplied with integer products as llama.cpp
    /// does: faster on K-quant and 4/5-bit files, at the price of the activations' rounding. Other types, and prompt
    /// batches, keep fp32.</summary>
    Int8,
}
