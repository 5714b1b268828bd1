using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Datasets;

public class ImageCacheTests
{
    private static GreyImage Img(float v) => new(3, 2, Enumerable.Repeat(v, 6).ToArray());

    [Fact]
    public void OnDisk_SecondLookup_ReadsStoredPixelsWithoutDecoding()
    {
        using var t = new TempLayout();
        string src = t.Text("a.png", "x");
        var cache = ImageCache.OnDisk(t.Path("cache"));
        int loads = 0;
        var first = cache.GetOrAdd(src, "64x64", () => { loads++; return Img(0.25f); });
        var again = ImageCache.OnDisk(t.Path("cache")).GetOrAdd(src, "64x64", () => { loads++; return Img(9f); });
        Assert.Equal(1, loads);
        Assert.Equal(first.Pixels, again.Pixels);
        Assert.Equal((3, 2), (again.Width, again.Height));
        Assert.Empty(Directory.EnumerateFiles(t.Path("cache"), "*.tmp"));
    }

    [Fact]
    public void Key_ChangesWithVariantAndModificationTime()
    {
        using var t = new TempLayout();
        string src = t.Text("a.png", "x");
        string k1 = ImageCache.KeyOf(src, "64x64");
        Assert.NotEqual(k1, ImageCache.KeyOf(src, "32x32"));
        File.SetLastWriteTimeUtc(src, DateTime.UtcNow.AddMinutes(-5));
        Assert.NotEqual(k1, ImageCache.KeyOf(src, "64x64"));
    }

    [Fact]
    public void InMemory_OverBudget_StillReturnsButDoesNotStore()
    {
        using var t = new TempLayout();
        string src = t.Text("a.png", "x");
        var cache = ImageCache.InMemory(maxBytes: 8);
        cache.GetOrAdd(src, "v", () => Img(1));
        cache.GetOrAdd(src, "v", () => Img(1));
        Assert.Equal(2, cache.Misses);
        var roomy = ImageCache.InMemory();
        roomy.GetOrAdd(src, "v", () => Img(1));
        roomy.GetOrAdd(src, "v", () => Img(2));
        Assert.Equal((1, 1), (roomy.Misses, roomy.Hits));
    }

    [Fact]
    public void OnDisk_CorruptEntry_IsDecodedAgain()
    {
        using var t = new TempLayout();
        string src = t.Text("a.png", "x");
        var cache = ImageCache.OnDisk(t.Path("c"));
        cache.GetOrAdd(src, "v", () => Img(1));
        foreach (var f in Directory.EnumerateFiles(t.Path("c"))) File.WriteAllBytes(f, [1, 2, 3]);
        var again = cache.GetOrAdd(src, "v", () => Img(5));
        Assert.Equal(5f, again.Pixels[0]);
    }
}
