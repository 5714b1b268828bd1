namespace Thorax.Imaging.Codecs;

/// <summary>Chroma subsampling for colour JPEG encoding (values equal TurboJPEG's TJSAMP_*).</summary>
public enum JpegSubsampling
{
    /// <summary>No chroma subsampling.</summary>
    S444 = 0,
    /// <summary>2x1 chroma subsampling.</summary>
    S422 = 1,
    /// <summary>2x2 chroma subsampling (PIL's default).</summary>
    S420 = 2,
}
