namespace GqaGen.Tests.Runtime;

/// <summary>GqaShape validation and derived sizes.</summary>
public sealed class GqaShapeTests
{
    [Theory]
    [InlineData(32, 6)]
    [InlineData(9, 2)]
    [InlineData(4, 8)]
    [InlineData(71, 2)]
    public void KvGroups_that_do_not_divide_Heads_are_rejected(int heads, int kvGroups)
    {
        var ex = Assert.Throws<ArgumentException>(() => new GqaShape(heads, kvGroups, 64));
        Assert.Equal("kvGroups", ex.ParamName);
        Assert.Contains($"({kvGroups})", ex.Message);
        Assert.Contains($"({heads})", ex.Message);
    }

    [Theory]
    [InlineData(0, 1, 64, "heads")]
    [InlineData(-4, 1, 64, "heads")]
    [InlineData(GqaShape.MaxHeads + 1, 1, 64, "heads")]
    [InlineData(8, 0, 64, "kvGroups")]
    [InlineData(8, -2, 64, "kvGroups")]
    [InlineData(8, 2, 0, "headDim")]
    [InlineData(8, 2, -64, "headDim")]
    [InlineData(8, 2, GqaShape.MaxHeadDim + 1, "headDim")]
    public void Sizes_out_of_range_are_rejected(int heads, int kvGroups, int headDim, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new GqaShape(heads, kvGroups, headDim));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(GqaShape.MaxHeads, 1, GqaShape.MaxHeadDim)]
    [InlineData(GqaShape.MaxHeads, GqaShape.MaxHeads, 1)]
    public void Extreme_valid_sizes_are_accepted(int heads, int kvGroups, int headDim)
        => Assert.Equal(heads, new GqaShape(heads, kvGroups, headDim).Heads);

    [Fact]
    public void Derived_sizes_follow_from_the_layout()
    {
        var shape = new GqaShape(14, 2, 64);
        Assert.Equal(7, shape.HeadsPerGroup);
        Assert.Equal(14 * 64, shape.QueryLength);
        Assert.Equal(2 * 64, shape.KvLength);
        Assert.Equal(0.125f, shape.Scale);
    }

    [Fact]
    public void Shapes_compare_by_value()
    {
        Assert.Equal(new GqaShape(32, 8, 128), new GqaShape(32, 8, 128));
        Assert.NotEqual(new GqaShape(32, 8, 128), new GqaShape(32, 4, 128));
    }
}
