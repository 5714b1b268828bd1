namespace Thorax.Imaging.Ops;

/// <summary>Structuring element shapes (OpenCV MORPH_RECT / MORPH_ELLIPSE / MORPH_CROSS).</summary>
public enum MorphShape
{
    /// <summary>All ones.</summary>
    Rectangle,
    /// <summary>Filled ellipse inscribed in the rectangle (OpenCV's integer construction).</summary>
    Ellipse,
    /// <summary>One full row and one full column through the anchor.</summary>
    Cross,
}

/// <summary>A binary structuring element with its anchor (OpenCV <c>getStructuringElement</c> semantics).</summary>
public sealed class StructuringElement
{
    private readonly bool[] _mask;

    private StructuringElement(int width, int height, bool[] mask)
    {
        Width = width;
        Height = height;
        AnchorX = width / 2;
        AnchorY = height / 2;
        _mask = mask;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Anchor column (width / 2).</summary>
    public int AnchorX { get; }

    /// <summary>Anchor row (height / 2).</summary>
    public int AnchorY { get; }

    /// <summary>True where the element is set; row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public bool this[int x, int y] => _mask[y * Width + x];

    /// <summary>Builds an element exactly like <c>cv2.getStructuringElement(shape, (width, height))</c>.</summary>
    /// <param name="shape">Shape.</param>
    /// <param name="width">Columns, &gt;= 1.</param>
    /// <param name="height">Rows, &gt;= 1.</param>
    public static StructuringElement Create(MorphShape shape, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == 1 && height == 1) shape = MorphShape.Rectangle;
        var m = new bool[width * height];
        int ax = width / 2, ay = height / 2;
        int r = height / 2, c = width / 2;
        double invR2 = r != 0 ? 1.0 / ((double)r * r) : 0;
        for (int i = 0; i < height; i++)
        {
            int j1 = 0, j2 = 0;
            if (shape == MorphShape.Rectangle || (shape == MorphShape.Cross && i == ay)) j2 = width;
            else if (shape == MorphShape.Cross) { j1 = ax; j2 = ax + 1; }
            else
            {
                int dy = i - r;
                if (Math.Abs(dy) <= r)
                {
                    int dx = (int)Math.Round(c * Math.Sqrt((r * r - dy * dy) * invR2));
                    j1 = Math.Max(c - dx, 0);
                    j2 = Math.Min(c + dx + 1, width);
                }
            }
            for (int j = j1; j < j2; j++) m[i * width + j] = true;
        }
        return new StructuringElement(width, height, m);
    }

    /// <summary>The element's set offsets relative to the anchor, as (dx, dy) pairs.</summary>
    internal (int Dx, int Dy)[] Offsets()
    {
        var list = new List<(int, int)>();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                if (_mask[y * Width + x]) list.Add((x - AnchorX, y - AnchorY));
        return list.ToArray();
    }
}
