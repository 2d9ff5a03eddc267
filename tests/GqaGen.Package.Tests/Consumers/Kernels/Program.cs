using System.Globalization;
using GqaGen;
using PackageConsumer;

// Fills a cache with random keys and values, decodes one query with the kernel generated for MyLayout and with
// the naive reference, and prints the worst per-head normwise relative error and the ISA path that ran. Exit code 1
// when the error is over the tolerance (or NaN), else 0.
const int Positions = 50;
const double Tolerance = 1e-5;
var rng = new Random(20251126);

using var cache = new KvCache(MyLayout.Shape, layers: 1, capacity: Positions);
var key = new float[MyLayout.KvGroups * MyLayout.HeadDim];   // (group, headDim)
var value = new float[key.Length];                           // (group, headDim)
for (int position = 0; position < Positions; position++)
{
    Fill(key);
    Fill(value);
    MyLayout.AppendKv(cache, 0, position, key, value);
}

var query = new float[MyLayout.Heads * MyLayout.HeadDim];    // (head, headDim)
Fill(query);
var output = new float[query.Length];
var expected = new float[query.Length];
MyLayout.Decode(query, cache, 0, Positions, output);
GqaReference.Decode(MyLayout.Shape, query, cache, 0, KvRange.FromLength(Positions), expected);

// Per head: max |output - reference| / max |reference|; the worst head is reported (NaN if anything went wrong).
double worst = 0;
for (int head = 0; head < MyLayout.Heads; head++)
{
    double maxDiff = 0, maxRef = 0;
    for (int i = head * MyLayout.HeadDim; i < (head + 1) * MyLayout.HeadDim; i++)
    {
        maxDiff = Math.Max(maxDiff, Math.Abs((double)output[i] - expected[i]));
        maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
    }
    worst = Math.Max(worst, maxDiff / maxRef);   // Math.Max propagates NaN
}

Console.WriteLine("max-rel-error=" + worst.ToString("R", CultureInfo.InvariantCulture));
Console.WriteLine("path=" + MyLayout.ActivePath);
if (!(worst <= Tolerance))
{
    Console.Error.WriteLine($"error: the generated kernel differs from GqaReference by {worst:R} (worst head), over {Tolerance}.");
    return 1;
}
return 0;

void Fill(float[] values)
{
    for (int i = 0; i < values.Length; i++)
        values[i] = rng.NextSingle() * 2 - 1;
}
