namespace Thorax.Data.Gaze;

/// <summary>Per-image display padding in screen pixels (master_sheet.csv <c>image_top_pad</c> ...): the image was
/// resized to fit and padded to the 1920x1080 screen.</summary>
public readonly record struct EgdCxrPadding(double Top, double Bottom, double Left, double Right)
{
    /// <summary>
    /// Maps a Gazepoint screen fraction to original image pixels as <c>map_eye_gaze_from_screen_to_image_coordinates.py</c>:
    /// eye = FPOG * screen; inside iff left &lt; eyeX &lt; screenW - right and top &lt; eyeY &lt; screenH - bottom;
    /// X = int(imgW / (screenW - left - right) * (eyeX - left)), Y likewise.
    /// </summary>
    /// <returns>Pixel (x, y), or null when the gaze falls on the padding or off screen.</returns>
    public (int X, int Y)? ScreenToImage(double fpogX, double fpogY, int imageWidth, int imageHeight,
        int screenWidth = 1920, int screenHeight = 1080)
    {
        double ex = fpogX * screenWidth, ey = fpogY * screenHeight;
        if (!(ex > Left && ex < screenWidth - Right && ey > Top && ey < screenHeight - Bottom)) return null;
        int x = (int)(imageWidth / (screenWidth - Left - Right) * (ex - Left));
        int y = (int)(imageHeight / (screenHeight - Top - Bottom) * (ey - Top));
        return (x, y);
    }
}
