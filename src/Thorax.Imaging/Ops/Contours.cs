namespace Thorax.Imaging.Ops;

/// <summary>
/// Border tracing of binary masks (every outer border of each 8-connected component and every hole border, as
/// <c>cv2.findContours(RETR_TREE)</c> returns them) and contour-area based filtering.
/// </summary>
public static class Contours
{
    private static readonly (int Dx, int Dy)[] Dirs = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)];

    /// <summary>
    /// All borders of the mask's non-zero pixels: one outer border per 8-connected component and one border per hole
    /// (4-connected background region not touching the image edge). Each border is the closed sequence of pixel
    /// centres found by Moore-neighbour tracing.
    /// </summary>
    public static List<List<(int X, int Y)>> Find(Image<byte> mask)
    {
        MaskOps.RequireMask(mask);
        int w = mask.Width, h = mask.Height;
        var m = mask.Data;
        var result = new List<List<(int X, int Y)>>();
        var fg = ConnectedComponents.Label(mask, Connectivity.Eight);
        var seen = new bool[fg.Count];
        for (int i = 0; i < m.Length; i++)
        {
            int l = fg.Labels.Data[i];
            if (l == 0 || seen[l]) continue;
            seen[l] = true;
            result.Add(Trace(m, w, h, i % w, i / w, 4)); // came from the west (background)
        }
        var inverted = new Image<byte>(w, h);
        for (int i = 0; i < m.Length; i++) inverted.Data[i] = m[i] == 0 ? (byte)255 : (byte)0;
        var bg = ConnectedComponents.Label(inverted, Connectivity.Four);
        var touches = new bool[bg.Count];
        for (int x = 0; x < w; x++) { touches[bg.Labels[x, 0]] = true; touches[bg.Labels[x, h - 1]] = true; }
        for (int y = 0; y < h; y++) { touches[bg.Labels[0, y]] = true; touches[bg.Labels[w - 1, y]] = true; }
        var seenHole = new bool[bg.Count];
        for (int i = 0; i < m.Length; i++)
        {
            int l = bg.Labels.Data[i];
            if (l == 0 || touches[l] || seenHole[l]) continue;
            seenHole[l] = true;
            result.Add(Trace(m, w, h, i % w - 1, i / w, 0)); // start left of the hole's first pixel, hole to the east
        }
        return result;
    }

    /// <summary>Polygon area of a closed contour by the shoelace formula (absolute value; <c>cv2.contourArea</c>).</summary>
    public static double Area(IReadOnlyList<(int X, int Y)> contour)
    {
        ArgumentNullException.ThrowIfNull(contour);
        long twice = 0;
        for (int i = 0, j = contour.Count - 1; i < contour.Count; j = i++)
            twice += (long)contour[j].X * contour[i].Y - (long)contour[i].X * contour[j].Y;
        return Math.Abs(twice) / 2.0;
    }

    /// <summary>
    /// The SIIM-ACR 1st-place post-processing (<c>remove_smallest</c>): find all contours (RETR_TREE), keep those whose
    /// <see cref="Area"/> is strictly greater than <paramref name="minArea"/>, and redraw them filled
    /// (<see cref="Polygons.Fill"/>, even-odd over all kept contours together). Output is 0/255.
    /// </summary>
    public static Image<byte> RemoveSmallByArea(Image<byte> mask, double minArea)
    {
        var kept = Find(mask).Where(c => Area(c) > minArea).Select(c => (IReadOnlyList<(int X, int Y)>)c).ToList();
        var dst = new Image<byte>(mask.Width, mask.Height);
        Polygons.Fill(dst, kept);
        return dst;
    }

    private static List<(int X, int Y)> Trace(byte[] m, int w, int h, int sx, int sy, int backDir)
    {
        bool Fg(int x, int y) => (uint)x < (uint)w && (uint)y < (uint)h && m[y * w + x] != 0;
        var pts = new List<(int X, int Y)> { (sx, sy) };
        int first = Next(sx, sy, backDir, out int fx, out int fy);
        if (first < 0) return pts;
        int x = sx, y = sy, dir = first, nx = fx, ny = fy;
        while (true)
        {
            x = nx; y = ny;
            int nd = Next(x, y, (dir + 6) % 8, out nx, out ny);
            if (x == sx && y == sy && nd == first) break;
            pts.Add((x, y));
            dir = nd;
        }
        return pts;

        int Next(int cx, int cy, int start, out int ox, out int oy)
        {
            for (int k = 0; k < 8; k++)
            {
                int d = (start + k) % 8;
                int tx = cx + Dirs[d].Dx, ty = cy + Dirs[d].Dy;
                if (Fg(tx, ty)) { ox = tx; oy = ty; return d; }
            }
            ox = cx; oy = cy;
            return -1;
        }
    }
}
