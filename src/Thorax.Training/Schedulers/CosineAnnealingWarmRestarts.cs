using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
using System.Text.Json.Nodes;

namespace Thorax.Training.Schedulers;

/// <summary>
/// SGDR: cosine annealing from each base learning rate to <c>etaMin</c> over a period of <c>T_i</c> epochs, restarting
/// at the base rate; the first period is <c>tZero</c> epochs and each next one is <c>tMult</c> times longer.
/// lr = ηmin + (base - ηmin)·(1 + cos(π·T_cur/T_i))/2. Accepts fractional epochs through <see cref="Step(double)"/>
/// (e.g. <c>epoch + batch / batches</c>) to anneal within an epoch.
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.CosineAnnealingWarmRestarts</c>.</remarks>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="tZero">Length of the first period in epochs, ≥ 1 (PyTorch's <c>T_0</c>).</param>
    /// <param name="tMult">Growth factor of the period after each restart, ≥ 1. Default 1.</param>
    /// <param name="etaMin">Minimum learning rate. Default 0.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int tZero, int tMult = 1, double etaMin = 0, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (tZero < 1) throw new ArgumentOutOfRangeException(nameof(tZero), tZero, "expected positive integer T_0");
        if (tMult < 1) throw new ArgumentOutOfRangeException(nameof(tMult), tMult, "expected integer T_mult >= 1");
        TZero = tZero;
        TMult = tMult;
        EtaMin = etaMin;
        TI = tZero;
        TCur = lastEpoch;
        InitialStep();
    }

    /// <summary>Length of the first period (<c>T_0</c>).</summary>
    public int TZero { get; }

    /// <summary>Period growth factor (<c>T_mult</c>).</summary>
    public int TMult { get; }

    /// <summary>Minimum learning rate (<c>eta_min</c>).</summary>
    public double EtaMin { get; }

    /// <summary>Length of the current period in epochs (<c>T_i</c>).</summary>
    public long TI { get; private set; }

    /// <summary>Epochs since the last restart, possibly fractional (<c>T_cur</c>).</summary>
    public double TCur { get; private set; }

    /// <summary>Advances one epoch (T_cur + 1, restarting when the period ends) and sets the learning rates.</summary>
    public override void Step()
    {
        if (LastEpoch < 0)
        {
            Step(0);
            return;
        }
        StepCount++;
        TCur += 1;
        if (TCur >= TI)
        {
            TCur -= TI;
            TI *= TMult;
        }
        LastEpoch++;
        Apply(ComputeLrs());
    }

    /// <summary>Evaluates the schedule at <paramref name="epoch"/> (fractional allowed, ≥ 0) and sets the learning rates.</summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0) || double.IsInfinity(epoch)) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "expected a non-negative finite epoch");
        StepCount++;
        if (epoch >= TZero)
        {
            if (TMult == 1)
            {
                TCur = epoch % TZero;
            }
            else
            {
                var n = (int)(Math.Log(epoch / TZero * (TMult - 1) + 1) / Math.Log(TMult));
                var pow = Math.Pow(TMult, n);
                TCur = epoch - TZero * (pow - 1) / (TMult - 1);
                TI = TZero * (long)pow;
            }
        }
        else
        {
            TI = TZero;
            TCur = epoch;
        }
        LastEpoch = (int)Math.Floor(epoch);
        Apply(ComputeLrs());
    }

    internal override void StepTo(int epoch) => Step((double)epoch);

    private protected override double[] ComputeLrs() =>
        BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * TCur / TI)) / 2).ToArray();

    /// <inheritdoc/>
    public override JsonObject StateDict()
    {
        var o = base.StateDict();
        o["T_i"] = TI;
        o["T_cur"] = TCur;
        return o;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(JsonObject state)
    {
        base.LoadStateDict(state);
        TI = ReadNumber(state, "T_i", n => n.GetValue<long>());
        TCur = ReadDouble(state, "T_cur");
    }
}
