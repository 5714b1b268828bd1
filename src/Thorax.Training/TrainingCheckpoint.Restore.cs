using System.Globalization;
using System.Text.Json.Nodes;
using Thorax.Models.Weights;
using Thorax.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Training;

public sealed partial class TrainingCheckpoint
{
    /// <summary>
    /// Snapshots the state of <paramref name="components"/>: tensors are copied (so training may continue and the
    /// checkpoint stays as it was), RNG states are read without advancing the generators.
    /// </summary>
    /// <param name="components">The live objects to capture.</param>
    /// <param name="epoch">Completed epochs (the 1-based number of the epoch just finished), ≥ 0.</param>
    /// <param name="step">Optimiser steps taken so far, ≥ 0.</param>
    /// <param name="user">Free-form JSON to store alongside (best metric so far, run id, config hash); copied.</param>
    /// <returns>A new checkpoint owned by the caller (dispose it).</returns>
    /// <exception cref="ArgumentException">A component name is invalid, or a scheduler drives another optimiser.</exception>
    public static TrainingCheckpoint Capture(TrainingComponents components, int epoch, long step = 0, JsonObject? user = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        components.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["model_type"] = components.Model.GetType().Name,
        };
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using (torch.no_grad())
            {
                AddModule(tensors, components.Model, ModelPrefix);
                if (components.ExtraModules.Count > 0)
                {
                    foreach (var (name, module) in components.ExtraModules) AddModule(tensors, module, ExtraPrefix + name + ".");
                    meta["extra_modules"] = new JsonArray(components.ExtraModules.Keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()).ToJsonString();
                }
                if (components.Optimizer is { } opt)
                {
                    using var osd = OptimizerStateDict.Capture(opt);
                    foreach (var (k, t) in osd.ToTensors(OptimizerPrefix))
                    {
                        tensors.Add(k, t.clone().DetachFromDisposeScope());
                        t.Dispose();
                    }
                    meta["optimizer_type"] = opt.GetType().Name;
                    meta["optimizer"] = osd.ToJson();
                }
            }
            if (components.Scheduler is { } sched)
            {
                meta["scheduler_type"] = sched.GetType().Name;
                meta["scheduler"] = sched.StateDict().ToJsonString();
            }
            if (components.PlateauScheduler is { } plateau) meta["plateau"] = plateau.StateDict().ToJsonString();
            // The global CPU generator only: TorchSharp exposes no CUDA generator state (see the class remarks).
            if (components.IncludeTorchRng) tensors.Add(TorchRngKey, torch.random.get_rng_state().DetachFromDisposeScope());
            foreach (var (name, g) in components.Generators) tensors.Add(GeneratorPrefix + name, g.get_state().DetachFromDisposeScope());
            if (components.Randoms.Count > 0)
            {
                var o = new JsonObject();
                foreach (var (name, r) in components.Randoms) o[name] = r.GetStateString();
                meta["randoms"] = o.ToJsonString();
            }
            meta["user"] = user?.ToJsonString() ?? "{}";
            return new TrainingCheckpoint(tensors, meta, MemorySource);
        }
        catch
        {
            tensors.DisposeAll();
            throw;
        }
    }

    private static void AddModule(Dictionary<string, Tensor> tensors, nn.Module module, string prefix)
    {
        foreach (var (k, t) in module.state_dict()) tensors.Add(prefix + k, t.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>
    /// Puts the captured state back into <paramref name="components"/> (freshly built objects of the same
    /// architecture and types): model and extra-module tensors are copied in place, the optimiser and schedulers load
    /// their states, and every generator and random source continues exactly where it was captured.
    /// </summary>
    /// <param name="components">The objects to restore into.</param>
    /// <param name="strict">
    /// True (default): the checkpoint must not hold state the components do not take (an optimiser, a scheduler,
    /// an extra module, a generator, the torch RNG). Either way every component given must be in the checkpoint.
    /// </param>
    /// <remarks>
    /// Keys, shapes and types of the model and extra modules, optimiser and scheduler types, generator state sizes and
    /// component presence are all checked before anything changes. The optimiser's own consistency checks run next
    /// (also before any change); a malformed scheduler state found after that leaves the components partly restored.
    /// </remarks>
    /// <exception cref="TrainingCheckpointException">The checkpoint does not fit the components (message names the entry).</exception>
    public void Restore(TrainingComponents components, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(components);
        components.Validate();

        // ---- checks (nothing changes yet) ----
        CheckModule(components.Model, ModelPrefix, "model");
        foreach (var (name, module) in components.ExtraModules)
        {
            if (!_extraModules.Contains(name)) throw Error(ExtraPrefix + name, $"the checkpoint has no extra module '{name}' (has: {List(_extraModules)})");
            CheckModule(module, ExtraPrefix + name + ".", $"extra module '{name}'");
        }
        if (strict)
            foreach (var name in _extraModules)
                if (!components.ExtraModules.ContainsKey(name)) throw Unclaimed(ExtraPrefix + name, $"extra module '{name}'");

        var opt = components.Optimizer;
        if (opt is not null)
        {
            if (OptimizerType is null) throw Error("__metadata__.optimizer", "the checkpoint has no optimiser state");
            if (OptimizerType != opt.GetType().Name) throw Error("__metadata__.optimizer_type", $"the checkpoint holds {OptimizerType} state, the optimiser is {opt.GetType().Name}");
        }
        else if (strict && OptimizerType is not null) throw Unclaimed("__metadata__.optimizer", $"{OptimizerType} optimiser state");

        if (components.Scheduler is { } sched)
        {
            if (SchedulerType is null) throw Error("__metadata__.scheduler", "the checkpoint has no scheduler state");
            if (SchedulerType != sched.GetType().Name) throw Error("__metadata__.scheduler_type", $"the checkpoint holds {SchedulerType} state, the scheduler is {sched.GetType().Name}");
            var groups = OptimizerGroups.Of(sched.Optimizer).Count;
            if (_scheduler!.TryGetPropertyValue("_last_lr", out var lastLr) && lastLr is JsonArray a && a.Count != groups)
                throw Error("__metadata__.scheduler._last_lr", $"has {a.Count} values, the scheduler's optimiser has {groups} parameter groups");
        }
        else if (strict && SchedulerType is not null) throw Unclaimed("__metadata__.scheduler", $"{SchedulerType} scheduler state");

        if (components.PlateauScheduler is not null && _plateau is null) throw Error("__metadata__.plateau", "the checkpoint has no ReduceLROnPlateau state");
        if (components.PlateauScheduler is null && strict && _plateau is not null) throw Unclaimed("__metadata__.plateau", "ReduceLROnPlateau state");

        if (components.IncludeTorchRng)
        {
            if (!HasTorchRng) throw Error(TorchRngKey, "the checkpoint has no torch generator state");
            using var current = torch.random.get_rng_state();
            CheckRngSize(TorchRngKey, current);
        }
        else if (strict && HasTorchRng) throw Unclaimed(TorchRngKey, "the torch generator state (set IncludeTorchRng)");

        foreach (var (name, g) in components.Generators)
        {
            var key = GeneratorPrefix + name;
            if (!_tensors.ContainsKey(key)) throw Error(key, $"the checkpoint has no generator '{name}' (has: {List(GeneratorNames)})");
            using var current = g.get_state();
            CheckRngSize(key, current);
        }
        if (strict)
            foreach (var name in GeneratorNames)
                if (!components.Generators.ContainsKey(name)) throw Unclaimed(GeneratorPrefix + name, $"generator '{name}'");

        foreach (var name in components.Randoms.Keys)
            if (!_randoms.ContainsKey(name)) throw Error("__metadata__.randoms." + name, $"the checkpoint has no random source '{name}' (has: {List(_randoms.Keys)})");
        if (strict)
            foreach (var name in _randoms.Keys)
                if (!components.Randoms.ContainsKey(name)) throw Unclaimed("__metadata__.randoms." + name, $"random source '{name}'");

        // ---- apply ----
        if (opt is not null)
        {
            OptimizerStateDict osd;
            try
            {
                osd = OptimizerStateDict.FromTensors(_tensors, _metadata["optimizer"], OptimizerPrefix);
            }
            catch (OptimizerStateException e)
            {
                throw Error(OptimizerKey(e.Key), e.Message, e);
            }
            using (osd)
            {
                try
                {
                    osd.LoadInto(opt);
                }
                catch (OptimizerStateException e)
                {
                    throw Error(OptimizerKey(e.Key), "does not fit the optimiser: " + e.Message, e);
                }
            }
        }
        if (components.Scheduler is { } s)
        {
            try
            {
                s.LoadStateDict((JsonObject)_scheduler!.DeepClone());
            }
            catch (OptimizerStateException e)
            {
                throw Error("__metadata__.scheduler." + e.Key, e.Message, e);
            }
        }
        if (components.PlateauScheduler is { } p)
        {
            try
            {
                p.LoadStateDict((JsonObject)_plateau!.DeepClone());
            }
            catch (OptimizerStateException e)
            {
                throw Error("__metadata__.plateau." + e.Key, e.Message, e);
            }
        }
        LoadModule(components.Model, ModelPrefix);
        foreach (var (name, module) in components.ExtraModules) LoadModule(module, ExtraPrefix + name + ".");
        // rng.cuda.* entries of old-engine files are not restored: TorchSharp has no CUDA generator state to set.
        if (components.IncludeTorchRng) torch.random.set_rng_state(_tensors[TorchRngKey]);
        foreach (var (name, g) in components.Generators) g.set_state(_tensors[GeneratorPrefix + name]);
        foreach (var (name, r) in components.Randoms) r.SetStateString(_randoms[name]);
    }

    private static string OptimizerKey(string key) =>
        key.StartsWith(OptimizerPrefix, StringComparison.Ordinal) ? key
        : key.StartsWith("state.", StringComparison.Ordinal) ? OptimizerPrefix + key
        : "__metadata__.optimizer." + key;

    private void CheckRngSize(string key, Tensor current)
    {
        var saved = _tensors[key];
        if (saved.numel() != current.numel())
            throw Error(key, $"saved generator state has {saved.numel()} bytes, the live generator's has {current.numel()} (different generator kind or libtorch build)");
    }

    private void CheckModule(nn.Module module, string prefix, string what)
    {
        var problems = new List<(string Key, string Message)>();
        var own = new HashSet<string>(StringComparer.Ordinal);
        {
            foreach (var (k, t) in module.state_dict())
            {
                var key = prefix + k;
                own.Add(key);
                if (!_tensors.TryGetValue(key, out var saved))
                {
                    problems.Add((key, $"missing from the checkpoint ({what} has {t.Describe()})"));
                    continue;
                }
                var kindOk = saved.dtype == t.dtype || (saved.dtype.IsFloatingPoint() && t.dtype.IsFloatingPoint());
                if (!kindOk || !saved.shape.AsSpan().SequenceEqual(t.shape))
                    problems.Add((key, $"checkpoint has {saved.Describe()}, the {what} has {t.Describe()}"));
            }
        }
        foreach (var key in _tensors.Keys)
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !own.Contains(key)) problems.Add((key, $"not part of the {what} ({module.GetType().Name})"));
        if (problems.Count == 0) return;
        var shown = string.Join("; ", problems.Take(8).Select(p => $"'{p.Key}' {p.Message}"));
        var more = problems.Count > 8 ? $"; and {problems.Count - 8} more" : "";
        throw Error(problems[0].Key, $"the {what} does not match the checkpoint ({problems.Count} problem(s)): {shown}{more}");
    }

    private void LoadModule(nn.Module module, string prefix)
    {
        var sd = _tensors.WithPrefixRemoved(prefix);
        try
        {
            StateDicts.Load(module, sd, strict: true, source: SourceName);
        }
        catch (StateDictException e)
        {
            throw Error(prefix.TrimEnd('.'), e.Message, e);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    private TrainingCheckpointException Error(string key, string message, Exception? inner = null) => new(SourceName, key, message, inner);

    private TrainingCheckpointException Unclaimed(string key, string what) =>
        Error(key, $"the checkpoint holds {what} but the components do not take it (pass strict: false to ignore it)");

    private static string List(IEnumerable<string> names)
    {
        var s = string.Join(", ", names);
        return s.Length == 0 ? "none" : s;
    }
}
