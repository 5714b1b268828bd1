using Thorax.Data.Datasets;

namespace Thorax.Data.Loading;

/// <summary>
/// Batches a dataset into tensors (PyTorch: <c>torch.utils.data.DataLoader</c>): sampler order, per-sample seeded
/// augmentation, collation to [N, C, H, W] / [N, M, H, W] / [N, 1, H, W] / [N, K], worker threads that work ahead
/// with bounded prefetch, and drop-last.
/// </summary>
/// <remarks>
/// <para>Determinism: epoch <c>e</c> uses seed <see cref="SeedSequence.Epoch"/>(Seed, e) for the sampler, and the
/// sample at position <c>p</c> of the epoch's order gets its own <see cref="Random"/> seeded with
/// <see cref="SeedSequence.Sample"/>(epoch seed, p). Batches come out in order. The output therefore does not depend
/// on <see cref="DataLoaderOptions.NumWorkers"/>.</para>
/// <para>Ownership: each <see cref="Batch"/> is owned by the consumer, who disposes it. Batch tensors are created on
/// the worker (or consumer) thread and detached from any TorchSharp dispose scope, so they survive scopes the
/// consumer opens per step. Batches prefetched but not consumed when the enumeration stops are disposed by the
/// loader.</para>
/// <para>The dataset's <see cref="IDataset.Get"/> and the transform are called from several threads at once.</para>
/// </remarks>
public sealed class DataLoader
{
    /// <summary>Creates a loader.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Invalid options.</exception>
    public DataLoader(IDataset dataset, DataLoaderOptions? options = null)
    {
        Dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        Options = options ?? DataLoaderOptions.Default;
        Options.Validate();
        Sampler = Options.Sampler ?? (Options.Shuffle ? new RandomSampler(dataset.Count) : new SequentialSampler(dataset.Count));
    }

    /// <summary>The dataset.</summary>
    public IDataset Dataset { get; }

    /// <summary>The options.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>The effective sampler.</summary>
    public ISampler Sampler { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> as lists of dataset indices (no loading).</summary>
    public IReadOnlyList<int[]> Plan(int epoch)
    {
        var order = Sampler.Indices(epoch, SeedSequence.Epoch(Options.Seed, epoch));
        int b = Options.BatchSize;
        int count = Options.DropLast ? order.Length / b : (order.Length + b - 1) / b;
        var result = new int[count][];
        for (int i = 0; i < count; i++) result[i] = order.AsSpan(i * b, Math.Min(b, order.Length - i * b)).ToArray();
        return result;
    }

    /// <summary>Number of batches in epoch <paramref name="epoch"/>.</summary>
    public int BatchCount(int epoch = 0) => Plan(epoch).Count;

    /// <summary>Loads sample <paramref name="position"/> of an epoch order with its derived seed and the transform.</summary>
    public Sample LoadSample(int datasetIndex, ulong epochSeed, long position)
    {
        var sample = Dataset.Get(datasetIndex);
        if (Options.Transform is { } t) sample = t.Apply(sample, SeedSequence.CreateRandom(SeedSequence.Sample(epochSeed, position)));
        return sample;
    }

    /// <summary>Enumerates the batches of epoch <paramref name="epoch"/> in order. Each batch is owned by the
    /// consumer; stopping early (break, exception, disposal of the enumerator) disposes the prefetched rest.</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <remarks>An exception thrown while loading a batch is rethrown when that batch is reached.</remarks>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        var plan = Plan(epoch);
        ulong epochSeed = SeedSequence.Epoch(Options.Seed, epoch);
        if (Options.NumWorkers == 0)
        {
            for (int b = 0; b < plan.Count; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return BuildBatch(plan, b, epoch, epochSeed);
            }
            yield break;
        }
        using var pipeline = new Prefetcher(this, plan, epoch, epochSeed, cancellationToken);
        for (int b = 0; b < plan.Count; b++) yield return pipeline.Take(b);
    }

    private Batch BuildBatch(IReadOnlyList<int[]> plan, int b, int epoch, ulong epochSeed)
    {
        var indices = plan[b];
        long start = (long)b * Options.BatchSize;
        var samples = new Sample[indices.Length];
        for (int i = 0; i < indices.Length; i++) samples[i] = LoadSample(indices[i], epochSeed, start + i);
        return Collate.ToBatch(samples, indices, epoch, b, Options.KeepSamples);
    }

    /// <summary>Worker threads building batches in order with at most NumWorkers * PrefetchFactor batches ahead.</summary>
    private sealed class Prefetcher : IDisposable
    {
        private readonly DataLoader _loader;
        private readonly IReadOnlyList<int[]> _plan;
        private readonly int _epoch, _window;
        private readonly ulong _epochSeed;
        private readonly CancellationToken _token;
        private readonly CancellationTokenRegistration _registration;
        private readonly object _gate = new();
        private readonly Dictionary<int, (Batch? Batch, Exception? Error)> _ready = [];
        private readonly Thread[] _threads;
        private int _next, _consumed;
        private bool _stopped;

        public Prefetcher(DataLoader loader, IReadOnlyList<int[]> plan, int epoch, ulong epochSeed, CancellationToken token)
        {
            _loader = loader;
            _plan = plan;
            _epoch = epoch;
            _epochSeed = epochSeed;
            _token = token;
            _window = Math.Max(1, loader.Options.NumWorkers * loader.Options.PrefetchFactor);
            _registration = token.Register(Stop);
            _threads = new Thread[Math.Min(loader.Options.NumWorkers, Math.Max(1, plan.Count))];
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(Work) { IsBackground = true, Name = $"Thorax DataLoader worker {i}" };
                _threads[i].Start();
            }
        }

        public Batch Take(int b)
        {
            (Batch? Batch, Exception? Error) item;
            lock (_gate)
            {
                while (!_ready.ContainsKey(b))
                {
                    _token.ThrowIfCancellationRequested();
                    Monitor.Wait(_gate);
                }
                item = _ready[b];
                _ready.Remove(b);
                _consumed = b + 1;
                Monitor.PulseAll(_gate);
            }
            if (item.Error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(item.Error);
            return item.Batch!;
        }

        private void Work()
        {
            while (true)
            {
                int b;
                lock (_gate)
                {
                    while (!_stopped && _next < _plan.Count && _next >= _consumed + _window) Monitor.Wait(_gate);
                    if (_stopped || _next >= _plan.Count) return;
                    b = _next++;
                }
                (Batch? Batch, Exception? Error) item;
                try { item = (_loader.BuildBatch(_plan, b, _epoch, _epochSeed), null); }
                catch (Exception e) { item = (null, e); }
                lock (_gate)
                {
                    if (_stopped) { item.Batch?.Dispose(); return; }
                    _ready[b] = item;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                Monitor.PulseAll(_gate);
            }
        }

        public void Dispose()
        {
            Stop();
            _registration.Dispose();
            foreach (var t in _threads) t.Join();
            foreach (var (batch, _) in _ready.Values) batch?.Dispose();
            _ready.Clear();
        }
    }
}
