using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>A 5x7 bitmap font for burned-in markers (laterality letters, text tokens).</summary>
internal static class Glyphs
{
    private static readonly Dictionary<char, string[]> Font = new()
    {
        ['A'] = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['B'] = ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
        ['C'] = [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
        ['E'] = ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
        ['I'] = [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['L'] = ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        ['N'] = ["#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"],
        ['O'] = [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['P'] = ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
        ['R'] = ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
        ['S'] = [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
        ['T'] = ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
        ['U'] = ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    };

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), each font cell
    /// <paramref name="cell"/> pixels, blending toward <paramref name="value"/>.</summary>
    public static void Draw(Raster dst, string text, float x, float y, float cell, float value)
    {
        Span<Vector2> quad = stackalloc Vector2[4];
        float pen = x;
        foreach (char ch in text)
        {
            if (Font.TryGetValue(ch, out var rows))
            {
                for (int r = 0; r < 7; r++)
                    for (int c = 0; c < 5; c++)
                    {
                        if (rows[r][c] != '#') continue;
                        float px = pen + c * cell, py = y + r * cell;
                        quad[0] = new(px, py); quad[1] = new(px + cell, py);
                        quad[2] = new(px + cell, py + cell); quad[3] = new(px, py + cell);
                        Rasterizer.FillPolygon(dst, quad, value, Blend.Over);
                    }
            }
            pen += 6 * cell;
        }
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn with cell size <paramref name="cell"/>.</summary>
    public static float Width(string text, float cell) => Math.Max(0, text.Length * 6 - 1) * cell;
}
