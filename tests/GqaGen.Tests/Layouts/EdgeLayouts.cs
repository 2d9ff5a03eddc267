namespace GqaGen.Tests.Layouts;

// Layouts no model uses, chosen to reach the generator's edge cases: head dimensions that are not a whole number
// of vectors (overlapping masked tails), dimensions at and just below each path's threshold (16 for Avx512,
// 8 for Avx2, below which a path is not emitted), the largest supported dimension, and degenerate sizes.

/// <summary>d = 80: five Vector512, or ten Vector256 split into two register blocks on Avx2.</summary>
[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 80)]
public partial struct Heads4Groups2Dim80;

/// <summary>d = 100: 6.25 Vector512 and 12.5 Vector256, so on both paths the overlapping last vector (elements 84–99,
/// 92–99) straddles the boundary between the third and the fourth, partial, q8_0 block (4 elements, 28 of padding).</summary>
[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 100)]
public partial struct Heads4Groups2Dim100;

/// <summary>d = 96: six Vector512, or twelve Vector256 in two register blocks; three heads per group.</summary>
[GqaLayout(Heads = 6, KvGroups = 3, HeadDim = 96)]
public partial struct Heads6Groups3Dim96;

/// <summary>d = 40: 2.5 Vector512 (masked tail on Avx512), exactly five Vector256; multi-head.</summary>
[GqaLayout(Heads = 8, KvGroups = 8, HeadDim = 40)]
public partial struct Heads8Groups8Dim40;

/// <summary>d = 17: one lane past a Vector512, so the last vector overlaps the first in all but one lane.</summary>
[GqaLayout(Heads = 2, KvGroups = 1, HeadDim = 17)]
public partial struct Heads2Groups1Dim17;

/// <summary>d = 1: scalar only; every score is a single product.</summary>
[GqaLayout(Heads = 1, KvGroups = 1, HeadDim = 1)]
public partial struct Heads1Groups1Dim1;

/// <summary>d = 512: the largest supported head dimension (several register blocks on every vector path).</summary>
[GqaLayout(Heads = 1, KvGroups = 1, HeadDim = 512)]
public partial struct Heads1Groups1Dim512;

/// <summary>d = 8: exactly one Vector256, too short for Avx512 (Avx2 and scalar only).</summary>
[GqaLayout(Heads = 3, KvGroups = 1, HeadDim = 8)]
public partial struct Heads3Groups1Dim8;

/// <summary>d = 15: one lane short of a Vector512 (Avx2 with a masked overlapping tail, and scalar).</summary>
[GqaLayout(Heads = 2, KvGroups = 2, HeadDim = 15)]
public partial struct Heads2Groups2Dim15;

/// <summary>d = 7: one lane short of a Vector256 (scalar only), and not a multiple of the scalar unroll of four.</summary>
[GqaLayout(Heads = 4, KvGroups = 1, HeadDim = 7)]
public partial struct Heads4Groups1Dim7;

/// <summary>24 heads per group: on AVX-512 a prefill lane tile holds one token, its 24 query rows filling one vector
/// and half of the second; on AVX2 the heads exceed the tile's 16 lanes, so the row tiles run.</summary>
[GqaLayout(Heads = 24, KvGroups = 1, HeadDim = 64)]
public partial struct Heads24Groups1Dim64;

/// <summary>32 heads per group (MQA of a 32-head model): an AVX-512 prefill lane tile of one token filling all 32 lanes.</summary>
[GqaLayout(Heads = 32, KvGroups = 1, HeadDim = 32)]
public partial struct Heads32Groups1Dim32;

/// <summary>12 heads per group: on AVX2 a prefill lane tile of one token in 12 of its 16 lanes; on AVX-512, two tokens
/// in 24 of 32.</summary>
[GqaLayout(Heads = 24, KvGroups = 2, HeadDim = 16)]
public partial struct Heads24Groups2Dim16;
