namespace GqaGen.Tests.Runtime;

/// <summary>KvRange validation.</summary>
public sealed class KvRangeTests
{
    [Fact]
    public void Negative_start_is_rejected()
        => Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => new KvRange(-1, 4)).ParamName);

    [Fact]
    public void End_before_start_is_rejected()
        => Assert.Equal("end", Assert.Throws<ArgumentOutOfRangeException>(() => new KvRange(5, 4)).ParamName);

    [Fact]
    public void Negative_length_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => KvRange.FromLength(-1));

    [Fact]
    public void Length_is_end_minus_start()
    {
        Assert.Equal(7, new KvRange(3, 10).Length);
        Assert.Equal(0, new KvRange(4, 4).Length);
        Assert.Equal(new KvRange(0, 9), KvRange.FromLength(9));
    }
}
