namespace Thorax.Training.Tests.Checkpoints;

public sealed class CheckpointDirectoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("thorax-ckdir-").FullName, "ckpts");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    [Fact]
    public void Save_KeepLastTwo_KeepsNewestTwoAndLatestIsHighestEpoch()
    {
        using var net = new ResumeNet();
        var folder = new CheckpointDirectory(_dir, keepLast: 2);
        foreach (var epoch in new[] { 1, 2, 10, 3 })
        {
            using var ck = TrainingCheckpoint.Capture(new TrainingComponents { Model = net, IncludeTorchRng = false }, epoch);
            Assert.Equal(folder.FileFor(epoch), folder.Save(ck));
        }
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not a checkpoint");
        Assert.Equal(new[] { 3, 10 }, folder.List().Select(f => f.Epoch).ToArray());
        Assert.Equal(Path.Combine(folder.Path, "epoch-0010.ckpt.safetensors"), folder.LatestPath);
        using var latest = folder.LoadLatest();
        Assert.Equal(10, latest!.Epoch);
    }

    [Fact]
    public void LatestPath_MissingOrEmptyFolder_IsNull()
    {
        var folder = new CheckpointDirectory(_dir);
        Assert.Null(folder.LatestPath);
        Assert.Null(folder.LoadLatest());
        Directory.CreateDirectory(_dir);
        Assert.Empty(folder.List());
    }
}
