namespace Thorax.Dicom.Codecs;

/// <summary>A JPEG Huffman table (ITU T.81 Annex C / F.2.2.3) with an 8-bit lookahead table.</summary>
internal sealed class HuffmanTable
{
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valOffset = new int[17];
    private readonly byte[] _values;
    // Lookahead: for an 8-bit prefix, (code length << 8 | value), or 0 when the code is longer than 8 bits.
    private readonly ushort[] _fast = new ushort[256];

    /// <summary>The <see cref="DicomFormatException.Problem"/> text of an undecodable code.</summary>
    public const string InvalidCodeProblem = "Corrupt JPEG stream: invalid Huffman code.";

    /// <summary>Builds the table from the 16 code-length counts and the symbol values.</summary>
    /// <exception cref="DicomFormatException">The counts do not form a valid prefix code.</exception>
    public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
    {
        _values = values.ToArray();
        // A DHT segment's counts must fit its values and form a prefix code; check before filling the lookahead
        // table (a corrupt count indexed past both: IndexOutOfRangeException, found by thorax fuzz).
        if (counts.Length < 16)
            throw new DicomFormatException("Corrupt JPEG stream: Huffman table has fewer than 16 code-length counts.", tag: DicomTag.PixelData);
        int total = 0;
        for (int len = 0; len < 16; len++) total += counts[len];
        if (total > values.Length)
            throw new DicomFormatException($"Corrupt JPEG stream: Huffman table counts {total} codes but holds {values.Length} values.", tag: DicomTag.PixelData);
        int code = 0, k = 0;
        for (int len = 1; len <= 16; len++)
        {
            int n = counts[len - 1];
            _valOffset[len] = k - code;
            if (n > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (code >= 1 << len) throw new DicomFormatException("Corrupt JPEG stream: invalid Huffman table.", tag: DicomTag.PixelData);
                    if (len <= 8)
                    {
                        int shift = 8 - len;
                        for (int j = 0; j < 1 << shift; j++)
                            _fast[(code << shift) | j] = (ushort)((len << 8) | values[k]);
                    }
                    code++;
                    k++;
                }
                _maxCode[len] = code - 1;
            }
            else
            {
                _maxCode[len] = -1;
            }
            if (code > 1 << len) throw new DicomFormatException("Corrupt JPEG stream: invalid Huffman table.", tag: DicomTag.PixelData);
            code <<= 1;
        }
        _maxCode[17] = int.MaxValue;
    }

    /// <summary>Decodes one symbol from <paramref name="bits"/>.</summary>
    public int Decode(ref JpegBitReader bits)
    {
        int peek = bits.Peek(8);
        int fast = _fast[peek];
        if (fast != 0)
        {
            bits.Skip(fast >> 8);
            return fast & 0xFF;
        }
        int code = bits.Read(8);
        for (int len = 9; len <= 16; len++)
        {
            code = (code << 1) | bits.Read(1);
            if (_maxCode[len] >= 0 && code <= _maxCode[len])
            {
                int idx = code + _valOffset[len];
                if ((uint)idx >= (uint)_values.Length) break;
                return _values[idx];
            }
        }
        throw new DicomFormatException(InvalidCodeProblem, tag: DicomTag.PixelData);
    }
}
