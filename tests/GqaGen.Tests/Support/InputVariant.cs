namespace GqaGen.Tests.Support;

/// <summary>How a kernel test case draws its inputs and which part of the cache it decodes.</summary>
public enum InputVariant
{
    /// <summary>Query, keys and values uniform in [-1, 1]; decodes [0, length) of layer 0.</summary>
    Uniform,

    /// <summary>
    /// Queries and keys drawn along one direction per group so that raw q·k dot products reach about ±60 before the
    /// 1/√d scale: a sharply peaked softmax, large exponent arguments and large running-max rescales.
    /// </summary>
    LargeLogits,

    /// <summary>Uniform inputs, decoding [<see cref="DecodeScenario.OffsetStart"/>, start + length) of layer 1:
    /// row offsets that are not tile-aligned and a layer that does not start the allocation.</summary>
    OffsetRange,
}
