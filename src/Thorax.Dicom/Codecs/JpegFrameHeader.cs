namespace Thorax.Dicom.Codecs;

/// <summary>The start-of-frame (SOFn) parameters of a JPEG stream, found by scanning markers.</summary>
internal readonly record struct JpegFrameHeader(int SofMarker, int Precision, int Height, int Width, int Components)
{
    /// <summary>Scans to the first SOFn marker; null when there is none before SOS/EOI or the data ends.</summary>
    public static JpegFrameHeader? Find(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8) return null;
        int pos = 2;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF) return null;
            int marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            int len = (data[pos + 2] << 8) | data[pos + 3];
            if (len < 2) return null;
            bool isSof = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (isSof)
            {
                if (pos + 10 > data.Length) return null;
                return new JpegFrameHeader(marker, data[pos + 4], (data[pos + 5] << 8) | data[pos + 6],
                    (data[pos + 7] << 8) | data[pos + 8], data[pos + 9]);
            }
            if (marker is 0xDA or 0xD9) return null;
            pos += 2 + len;
        }
        return null;
    }
}
