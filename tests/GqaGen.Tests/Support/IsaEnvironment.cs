using System.Runtime.Intrinsics.X86;

namespace GqaGen.Tests.Support;

/// <summary>
/// What the process was told about instruction sets (the runtime's <c>DOTNET_Enable*</c> switches) and what the CPU
/// has, read without asking the JIT, so the path-selection test has an expectation independent of what it checks.
/// </summary>
internal static class IsaEnvironment
{
    /// <summary>Whether <c>DOTNET_<paramref name="name"/></c> (or its legacy <c>COMPlus_</c> spelling) is "0".</summary>
    public static bool IsDisabled(string name)
        => Environment.GetEnvironmentVariable("DOTNET_" + name) == "0" || Environment.GetEnvironmentVariable("COMPlus_" + name) == "0";

    /// <summary>A one-line description of the switches that affect path selection, for test output.</summary>
    public static string Describe()
        => string.Join(", ", new[] { "EnableHWIntrinsic", "EnableAVX2", "EnableAVX512", "PreferredVectorBitWidth" }
            .Select(name => $"DOTNET_{name}={Environment.GetEnvironmentVariable("DOTNET_" + name) ?? "(unset)"}"))
           + (X86Base.IsSupported ? $"; CPU: AVX2 {CpuHasAvx2}, AVX-512 {CpuHasAvx512}" : "; CPU features unknown (CPUID needs X86Base)");

    /// <summary>
    /// Whether Vector512 should be accelerated: the CPU has AVX-512 (F, BW, CD, DQ, VL, the set .NET requires) and
    /// neither AVX-512, AVX2 (a prerequisite) nor hardware intrinsics are switched off, nor 512-bit vectors
    /// de-preferred with <c>DOTNET_PreferredVectorBitWidth</c>.
    /// </summary>
    public static bool ExpectVector512
        => !IsDisabled("EnableHWIntrinsic") && !IsDisabled("EnableAVX2") && !IsDisabled("EnableAVX512")
           && PreferredVectorBitWidth is null or >= 512 && CpuHasAvx512;

    /// <summary>Whether Vector256 should be accelerated: the CPU has AVX2 and neither it nor hardware intrinsics are off.</summary>
    public static bool ExpectVector256
        => !IsDisabled("EnableHWIntrinsic") && !IsDisabled("EnableAVX2")
           && PreferredVectorBitWidth is null or >= 256 && CpuHasAvx2;

    /// <summary>The path a kernel for <paramref name="headDim"/> should take: a vector path needs a head that fills one vector.</summary>
    public static GqaKernelPath ExpectedPath(int headDim)
        => ExpectVector512 && headDim >= 16 ? GqaKernelPath.Avx512
         : ExpectVector256 && headDim >= 8 ? GqaKernelPath.Avx2
         : GqaKernelPath.Scalar;

    /// <summary>CPUID leaf 7 reports AVX-512 F (EBX bit 16), DQ (17), CD (28), BW (30) and VL (31).</summary>
    public static bool CpuHasAvx512 => CpuidLeaf7Ebx() is int ebx && (ebx & Avx512Bits) == Avx512Bits;

    /// <summary>CPUID leaf 7 reports AVX2 (EBX bit 5).</summary>
    public static bool CpuHasAvx2 => CpuidLeaf7Ebx() is int ebx && (ebx & (1 << 5)) != 0;

    private const int Avx512Bits = (1 << 16) | (1 << 17) | (1 << 28) | (1 << 30) | unchecked((int)(1u << 31));

    private static int? PreferredVectorBitWidth
        => int.TryParse(Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth"), out int bits) && bits > 0 ? bits : null;

    // CPUID is reachable only through X86Base, which DOTNET_EnableHWIntrinsic=0 turns off; every expectation is
    // Scalar then anyway. On other architectures there is no AVX of either width.
    private static int? CpuidLeaf7Ebx() => X86Base.IsSupported ? X86Base.CpuId(7, 0).Ebx : null;
}
