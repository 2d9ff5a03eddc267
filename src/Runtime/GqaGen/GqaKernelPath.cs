namespace GqaGen;

/// <summary>The instruction-set path a kernel runs on this machine.</summary>
public enum GqaKernelPath
{
    /// <summary>Plain scalar code (no usable SIMD, or a head too short for any vector).</summary>
    Scalar = 0,

    /// <summary>256-bit vectors with FMA (<see cref="System.Runtime.Intrinsics.Vector256"/>).</summary>
    Avx2 = 1,

    /// <summary>512-bit vectors (<see cref="System.Runtime.Intrinsics.Vector512"/>).</summary>
    Avx512 = 2,
}
