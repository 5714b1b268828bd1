using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// Runs every forward pass of one model on a single dedicated thread and batches the requests of the workers that are
/// waiting at the same time (up to a maximum). Workers block in <see cref="Predict"/>, so at most one image per worker
/// is ever queued and memory stays bounded; the tensor scope and inference-mode guard stay on one thread.
/// </summary>
internal sealed class CxlSegBatcher : IDisposable
{
    private readonly BlockingCollection<Request> _queue = new();
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly int _maxBatch;
    private readonly Device? _device;
    private readonly Thread _thread;
    private ExceptionDispatchInfo? _fatal;
    private long _batches;
    private long _items;

    public CxlSegBatcher(nn.Module<Tensor, Tensor> network, int maxBatch, Device? device = null)
    {
        _network = network;
        _device = device;
        _maxBatch = maxBatch;
        _thread = new Thread(Loop) { IsBackground = true, Name = "cxlseg-forward" };
        _thread.Start();
    }

    /// <summary>Mean images per forward pass so far.</summary>
    public double MeanBatch => Interlocked.Read(ref _batches) == 0 ? 0 : (double)Interlocked.Read(ref _items) / Interlocked.Read(ref _batches);

    /// <summary>Binary prediction (0/1, model size squared) for one preprocessed sample; rethrows a forward failure.</summary>
    public byte[] Predict(LungSample sample)
    {
        _fatal?.Throw();
        using var request = new Request(sample);
        try { _queue.Add(request); }
        catch (InvalidOperationException) { _fatal?.Throw(); throw; }
        request.Done.Wait();
        request.Error?.Throw();
        return request.Result!;
    }

    private void Loop()
    {
        var batch = new List<Request>(_maxBatch);
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            batch.Clear();
            batch.Add(first);
            while (batch.Count < _maxBatch && _queue.TryTake(out var more)) batch.Add(more);
            try
            {
                if (_fatal != null) _fatal.Throw();
                var preds = LungTrainer.Predict(_network, batch.Select(r => r.Sample).ToList(), _maxBatch, device: _device);
                for (var i = 0; i < batch.Count; i++) batch[i].Result = preds[i];
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _items, batch.Count);
            }
            catch (Exception e)
            {
                _fatal ??= ExceptionDispatchInfo.Capture(e);
                foreach (var r in batch) r.Error = _fatal;
            }
            foreach (var r in batch) r.Done.Set();
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private sealed class Request(LungSample sample) : IDisposable
    {
        public LungSample Sample { get; } = sample;
        public byte[]? Result { get; set; }
        public ExceptionDispatchInfo? Error { get; set; }
        public ManualResetEventSlim Done { get; } = new(false);
        public void Dispose() => Done.Dispose();
    }
}
