namespace Thorax.Imaging.Ops;

/// <summary>
/// Polygon rasterisation equal to <c>cv2.fillPoly(img, polygons, value)</c> with lineType 8 and shift 0
/// (e.g. for ChestX-Det polygon annotations).
/// </summary>
/// <remarks>
/// Like OpenCV: each polygon's closed outline is drawn with 8-connected Bresenham lines, then the interior of
/// all polygons together is filled scanline by scanline with the even-odd rule using 16.16 fixed-point edge
/// crossings (edges are active on rows [y0, y1)). Overlapping polygons passed in one call therefore cancel
/// (a nested polygon makes a hole); call once per polygon to union them.
/// </remarks>
public static class Polygons
{
    private const int Shift = 16;

    private sealed class Edge
    {
        public int Y0, Y1;
        public long X, Dx;
    }

    /// <summary>Fills one or more polygons (vertices as integer (x, y) pixel coordinates) into every channel.</summary>
    /// <param name="image">Image drawn into, in place.</param>
    /// <param name="polygons">Polygons; each is a list of vertices, implicitly closed. Vertices may lie outside the image.</param>
    /// <param name="value">Sample value written to every channel.</param>
    public static void Fill(Image<byte> image, IReadOnlyList<IReadOnlyList<(int X, int Y)>> polygons, byte value = 255)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(polygons);
        var edges = new List<Edge>();
        foreach (var poly in polygons)
        {
            if (poly.Count == 0) continue;
            var p0 = poly[^1];
            foreach (var p1 in poly)
            {
                Line(image, p0, p1, value);
                if (p0.Y != p1.Y)
                {
                    var (a, b) = p0.Y < p1.Y ? (p0, p1) : (p1, p0);
                    edges.Add(new Edge
                    {
                        Y0 = a.Y, Y1 = b.Y, X = (long)a.X << Shift,
                        Dx = (((long)p1.X - p0.X) << Shift) / (p1.Y - p0.Y),
                    });
                }
                p0 = p1;
            }
        }
        FillEdges(image, edges, value);
    }

    /// <summary>Returns a new single-channel 0/255 mask of the given size with the polygons filled.</summary>
    public static Image<byte> Rasterize(int width, int height, IReadOnlyList<IReadOnlyList<(int X, int Y)>> polygons)
    {
        var mask = new Image<byte>(width, height);
        Fill(mask, polygons);
        return mask;
    }

    private static void FillEdges(Image<byte> img, List<Edge> edges, byte value)
    {
        if (edges.Count < 2) return;
        int w = img.Width, h = img.Height;
        int yMin = edges.Min(e => e.Y0), yMax = Math.Min(edges.Max(e => e.Y1), h);
        var xs = new List<long>();
        for (int y = Math.Max(yMin, 0); y < yMax; y++)
        {
            xs.Clear();
            foreach (var e in edges)
                if (y >= e.Y0 && y < e.Y1) xs.Add(e.X + (long)(y - e.Y0) * e.Dx);
            xs.Sort();
            for (int i = 0; i + 1 < xs.Count; i += 2)
            {
                long x1 = (xs[i] + (1L << Shift) - 1) >> Shift, x2 = xs[i + 1] >> Shift;
                if (x1 >= w || x2 < 0) continue;
                HLine(img, y, (int)Math.Max(x1, 0), (int)Math.Min(x2, w - 1), value);
            }
        }
    }

    /// <summary>OpenCV's clipLine: moves the endpoints onto the image rectangle (integer truncation as OpenCV).</summary>
    private static bool ClipLine(int width, int height, ref (int X, int Y) p1, ref (int X, int Y) p2)
    {
        long right = width - 1, bottom = height - 1;
        long x1 = p1.X, y1 = p1.Y, x2 = p2.X, y2 = p2.Y;
        int c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0) + (y1 < 0 ? 4 : 0) + (y1 > bottom ? 8 : 0);
        int c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0) + (y2 < 0 ? 4 : 0) + (y2 > bottom ? 8 : 0);
        if ((c1 & c2) == 0 && (c1 | c2) != 0)
        {
            long a;
            if ((c1 & 12) != 0)
            {
                a = c1 < 8 ? 0 : bottom;
                x1 += (long)((double)(a - y1) * (x2 - x1) / (y2 - y1));
                y1 = a;
                c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0);
            }
            if ((c2 & 12) != 0)
            {
                a = c2 < 8 ? 0 : bottom;
                x2 += (long)((double)(a - y2) * (x2 - x1) / (y2 - y1));
                y2 = a;
                c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0);
            }
            if ((c1 & c2) == 0 && (c1 | c2) != 0)
            {
                if (c1 != 0)
                {
                    a = c1 == 1 ? 0 : right;
                    y1 += (long)((double)(a - x1) * (y2 - y1) / (x2 - x1));
                    x1 = a;
                    c1 = 0;
                }
                if (c2 != 0)
                {
                    a = c2 == 1 ? 0 : right;
                    y2 += (long)((double)(a - x2) * (y2 - y1) / (x2 - x1));
                    x2 = a;
                    c2 = 0;
                }
            }
        }
        p1 = ((int)x1, (int)y1);
        p2 = ((int)x2, (int)y2);
        return (c1 | c2) == 0;
    }

    private static void HLine(Image<byte> img, int y, int x1, int x2, byte value)
    {
        int cn = img.Channels;
        img.Row(y).Slice(x1 * cn, (x2 - x1 + 1) * cn).Fill(value);
    }

    /// <summary>8-connected Bresenham line in OpenCV's LineIterator form (left to right), clipped to the image.</summary>
    private static void Line(Image<byte> img, (int X, int Y) a, (int X, int Y) b, byte value)
    {
        if ((uint)a.X >= (uint)img.Width || (uint)a.Y >= (uint)img.Height || (uint)b.X >= (uint)img.Width ||
            (uint)b.Y >= (uint)img.Height)
        {
            if (!ClipLine(img.Width, img.Height, ref a, ref b)) return;
        }
        if (a.X > b.X) (a, b) = (b, a);
        int dx = b.X - a.X, dy = Math.Abs(b.Y - a.Y), sy = b.Y >= a.Y ? 1 : -1;
        bool steep = dy > dx;
        int major = steep ? dy : dx, minor = steep ? dx : dy;
        int err = major - (minor + minor);
        int plusDelta = major + major, minusDelta = -(minor + minor);
        int x = a.X, y = a.Y;
        for (int i = 0; i <= major; i++)
        {
            if ((uint)x < (uint)img.Width && (uint)y < (uint)img.Height)
                for (int c = 0; c < img.Channels; c++) img[x, y, c] = value;
            bool step = err < 0;
            err += minusDelta + (step ? plusDelta : 0);
            if (steep) { y += sy; if (step) x++; }
            else { x++; if (step) y += sy; }
        }
    }
}
