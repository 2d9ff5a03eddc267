using GqaGen;
using GqaGen.Samples;
var q = new float[Llama3_8B.Heads * Llama3_8B.HeadDim];
var rng = new Random(1);
using var cache = new KvCache(Llama3_8B.Shape, 1, 1000);
var k = new float[Llama3_8B.KvGroups * Llama3_8B.HeadDim]; var v = new float[k.Length];
for (int p = 0; p < 1000; p++) { for (int i = 0; i < k.Length; i++) { k[i] = rng.NextSingle()*2-1; v[i] = rng.NextSingle()*2-1; } Llama3_8B.AppendKv(cache, 0, p, k, v); }
for (int i = 0; i < q.Length; i++) q[i] = rng.NextSingle()*2-1;
var o1 = new float[q.Length]; var o2 = new float[q.Length]; var o3 = new float[q.Length];
Llama3_8B.Decode(q, cache, 0, 999, o1);
GenericGqaKernel.Decode(Llama3_8B.Shape, q, cache, 0, KvRange.FromLength(999), o2);
GqaReference.Decode(Llama3_8B.Shape, q, cache, 0, KvRange.FromLength(999), o3);
double e1 = 0, e2 = 0, m = 0; for (int i = 0; i < q.Length; i++) { e1 = Math.Max(e1, Math.Abs(o1[i]-o3[i])); e2 = Math.Max(e2, Math.Abs(o2[i]-o3[i])); m = Math.Max(m, Math.Abs(o3[i])); }
Console.WriteLine($"{Llama3_8B.ActivePath} gen {e1/m} generic {e2/m}");
