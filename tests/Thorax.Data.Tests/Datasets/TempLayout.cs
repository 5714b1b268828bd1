using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Data.Tests.Datasets;

/// <summary>A temporary folder with helpers to write small PNGs and CSVs in the dataset layouts.</summary>
internal sealed class TempLayout : IDisposable
{
    public TempLayout() => Directory.CreateDirectory(Root);

    public string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "thorax-data-tests-" + Guid.NewGuid().ToString("N"));

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Writes an 8-bit grey PNG whose pixel (x, y) = f(x, y).</summary>
    public string Png(string relative, int w, int h, Func<int, int, byte> f)
    {
        string p = Path(relative.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        var img = new Image<byte>(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img[x, y] = f(x, y);
        Thorax.Imaging.Codecs.Png.Write(p, img);
        return p;
    }

    public string Text(string relative, string content)
    {
        string p = Path(relative.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
