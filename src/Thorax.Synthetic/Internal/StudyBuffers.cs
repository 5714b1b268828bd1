namespace Thorax.Synthetic.Internal;

/// <summary>Pixel arrays of one study that a worker reuses from study to study (the dataset writer keeps one set
/// per worker; a study generated into them is valid until the next study is generated into the same set). Saves
/// about 8 MiB of fresh, zeroed arrays per 1024 px study.</summary>
internal sealed class StudyBuffers
{
    public StudyBuffers(int size)
    {
        int n = checked(size * size);
        Size = size;
        Image12 = new ushort[n];
        Image8 = new byte[n];
        RightLung = new byte[n];
        LeftLung = new byte[n];
        Heart = new byte[n];
        Pneumothorax = new byte[n];
        Evidence = new byte[n];
        ChestTube = new byte[n];
        Lungs = new byte[n];
    }

    public int Size { get; }
    public ushort[] Image12 { get; }
    public byte[] Image8 { get; }
    public byte[] RightLung { get; }
    public byte[] LeftLung { get; }
    public byte[] Heart { get; }
    public byte[] Pneumothorax { get; }

    /// <summary>Where the evidence of a heart-failure or pneumonia class is (real backgrounds).</summary>
    public byte[] Evidence { get; }

    /// <summary>Where a chest tube is drawn (wall and radio-opaque stripe), 0/255.</summary>
    public byte[] ChestTube { get; }

    /// <summary>Scratch for the union of both lung masks (<see cref="SyntheticStudy.LungMask(byte[])"/>).</summary>
    public byte[] Lungs { get; }
}
