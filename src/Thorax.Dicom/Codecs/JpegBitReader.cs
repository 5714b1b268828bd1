namespace Thorax.Dicom.Codecs;

/// <summary>
/// Reads entropy-coded JPEG bits MSB first, removing 0xFF00 byte stuffing. At a marker or the end of data it supplies
/// zero bits and counts them, so callers can detect streams that end too early.
/// </summary>
internal ref struct JpegBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private ulong _buffer;
    private int _count;
    private long _phantomBits;

    public JpegBitReader(ReadOnlySpan<byte> data, int position)
    {
        _data = data;
        Position = position;
    }

    /// <summary>Next unread byte position in the data.</summary>
    public int Position { get; private set; }

    /// <summary>True when more bits were consumed than the data held before a marker/the end.</summary>
    public readonly bool Overrun => _phantomBits > _count;

    public int Peek(int n)
    {
        if (_count < n) Fill();
        return (int)(_buffer >> (64 - n));
    }

    public void Skip(int n)
    {
        if (_count < n) Fill();
        _buffer <<= n;
        _count -= n;
    }

    public int Read(int n)
    {
        if (n == 0) return 0;
        int v = Peek(n);
        Skip(n);
        return v;
    }

    /// <summary>Discards buffered bits and moves past the next RSTn marker (restart interval boundary).</summary>
    /// <returns>False when no RST marker follows.</returns>
    public bool Restart()
    {
        _buffer = 0;
        _count = 0;
        _phantomBits = 0;
        int p = Position;
        while (p + 1 < _data.Length && !(_data[p] == 0xFF && _data[p + 1] is >= 0xD0 and <= 0xD7)) p++;
        if (p + 1 >= _data.Length) return false;
        Position = p + 2;
        return true;
    }

    private void Fill()
    {
        while (_count <= 56)
        {
            int b;
            if (Position < _data.Length && _data[Position] != 0xFF)
            {
                b = _data[Position++];
            }
            else if (Position + 1 < _data.Length && _data[Position] == 0xFF && _data[Position + 1] == 0x00)
            {
                b = 0xFF;
                Position += 2;
            }
            else if (Position + 1 < _data.Length && _data[Position] == 0xFF && _data[Position + 1] == 0xFF)
            {
                Position++; // fill bytes before a marker
                continue;
            }
            else
            {
                b = 0; // marker or end of data: supply zeros
                _phantomBits += 8;
            }
            _buffer |= (ulong)b << (56 - _count);
            _count += 8;
        }
    }
}
