#!/usr/bin/python3
"""Golden values for Thorax.Optim, produced with PyTorch 1.13 (run with /usr/bin/python3).

Writes into tests/data/golden/optim/:
  optimizers.json  - SGD / Adam / AdamW trajectories on fixed float32 parameters with fixed synthetic gradients
                     (gradients are assigned, not computed), parameters recorded after steps 1, 3, 6 and 10,
                     plus the final state_dict (state tensors + param_groups) of each case.
  schedulers.json  - learning rates (and momentum for OneCycleLR) of every parameter group after construction and
                     after each of ~60 scheduler steps; ReduceLROnPlateau driven by a fixed metric sequence.
  clip.json        - clip_grad_norm_ / clip_grad_value_ on fixed gradients.
The inputs are generated here from a fixed numpy seed and stored next to the expected values.
"""
import json
import math
import os
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "data", "golden", "optim")
STEPS = 10
RECORD = [1, 3, 6, 10]
SHAPES = {"w": [3, 4], "b": [4], "c": [2, 3], "frozen": [5]}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_inputs():
    rng = np.random.default_rng(20240611)
    init = {k: f32(rng.normal(0, 1, size=s)) for k, s in SHAPES.items()}
    grads = []
    for step in range(1, STEPS + 1):
        g = {}
        for k, s in SHAPES.items():
            if k == "frozen":
                continue  # never gets a gradient: the optimiser must leave it alone
            if k == "c" and step % 3 == 0:
                continue  # no gradient on steps 3, 6, 9: skipped, its step counter does not advance
            g[k] = f32(rng.normal(0, 0.5, size=s) + 0.1 * step)
        grads.append(g)
    return init, grads


# Each case: optimiser name, defaults, and param groups (names + overrides), as PyTorch would take them.
OPT_CASES = [
    ("sgd_plain", "sgd", {"lr": 0.1}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("sgd_dampening_wd", "sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01},
     [{"params": ["w", "b", "c", "frozen"]}]),
    ("sgd_nesterov_maximize", "sgd", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "maximize": True,
                                      "weight_decay": 1e-3}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("sgd_two_groups", "sgd", {"lr": 0.05, "momentum": 0.9},
     [{"params": ["w", "frozen"]}, {"params": ["b", "c"], "lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}]),
    ("adam_default", "adam", {"lr": 1e-2}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("adam_amsgrad_wd", "adam", {"lr": 5e-3, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05,
                                 "amsgrad": True}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("adam_maximize", "adam", {"lr": 1e-2, "maximize": True}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("adam_two_groups", "adam", {"lr": 1e-2},
     [{"params": ["w", "c"]}, {"params": ["b", "frozen"], "lr": 1e-3, "betas": (0.5, 0.9), "weight_decay": 0.1}]),
    ("adamw_default", "adamw", {"lr": 1e-2}, [{"params": ["w", "b", "c", "frozen"]}]),
    ("adamw_amsgrad", "adamw", {"lr": 3e-3, "weight_decay": 0.2, "amsgrad": True, "betas": (0.85, 0.995)},
     [{"params": ["w", "b", "c", "frozen"]}]),
    ("adamw_maximize_groups", "adamw", {"lr": 1e-2, "maximize": True},
     [{"params": ["w", "b"]}, {"params": ["c", "frozen"], "weight_decay": 0.0, "lr": 2e-2}]),
]
CTORS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def jsonable(v):
    if isinstance(v, tuple):
        return [jsonable(x) for x in v]
    return v


def run_optimizer(init, grads, name, kind, defaults, groups):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    pg = []
    for g in groups:
        d = {k: v for k, v in g.items() if k != "params"}
        d["params"] = [params[n] for n in g["params"]]
        pg.append(d)
    opt = CTORS[kind](pg, **defaults)
    record = {}
    for step in range(1, STEPS + 1):
        opt.zero_grad(set_to_none=True)
        for k, g in grads[step - 1].items():
            params[k].grad = torch.tensor(g)
        opt.step()
        if step in RECORD:
            record[str(step)] = {k: flat(p) for k, p in params.items()}
    sd = opt.state_dict()
    state = {str(i): {k: flat(v) for k, v in s.items() if v is not None} for i, s in sd["state"].items()}
    state = {i: s for i, s in state.items() if s}
    param_groups = [{k: jsonable(v) for k, v in g.items()} for g in sd["param_groups"]]
    return {"name": name, "optimizer": kind, "defaults": {k: jsonable(v) for k, v in defaults.items()},
            "groups": [{k: jsonable(v) for k, v in g.items()} for g in groups],
            "expected": record, "state": state, "param_groups": param_groups}


def optimizers():
    init, grads = make_inputs()
    out = {"steps": STEPS, "record": RECORD,
           "init": {k: {"shape": SHAPES[k], "data": [float(x) for x in v.reshape(-1)]} for k, v in init.items()},
           "grads": [{k: [float(x) for x in v.reshape(-1)] for k, v in g.items()} for g in grads],
           "cases": [run_optimizer(init, grads, *c) for c in OPT_CASES]}
    return out


# ---- schedulers ----

def sched_optimizer(kind, lrs):
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    return torch.optim.Adam(groups, lr=lrs[0])


def momentum_of(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


S = torch.optim.lr_scheduler
SCHED_CASES = [
    ("step", "sgd", {"step_size": 7, "gamma": 0.5}, 60),
    ("multistep", "sgd", {"milestones": [5, 12, 12, 30], "gamma": 0.3}, 60),
    ("exponential", "sgd", {"gamma": 0.93}, 60),
    ("cosine", "sgd", {"T_max": 25, "eta_min": 1e-4}, 60),
    ("cosine_zero_min", "adam", {"T_max": 60}, 60),
    ("warm_restarts", "sgd", {"T_0": 5, "T_mult": 2, "eta_min": 1e-3}, 60),
    ("warm_restarts_tmult1", "sgd", {"T_0": 7, "T_mult": 1}, 60),
    ("linear", "sgd", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 8}, 60),
    ("linear_decay", "adam", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 40}, 60),
    ("onecycle_cos_sgd", "sgd", {"max_lr": 0.5, "total_steps": 60}, 60),
    ("onecycle_linear_adam", "adam", {"max_lr": [0.01, 0.02], "epochs": 6, "steps_per_epoch": 10,
                                      "anneal_strategy": "linear", "pct_start": 0.25, "div_factor": 10.0,
                                      "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9}, 60),
    ("onecycle_three_phase", "sgd", {"max_lr": 0.1, "total_steps": 60, "three_phase": True, "pct_start": 0.3}, 60),
    ("onecycle_no_momentum", "adam", {"max_lr": 0.05, "total_steps": 61, "cycle_momentum": False}, 60),
    ("sequential_warmup_cosine", "sgd", {"warmup": {"start_factor": 0.01, "total_iters": 5},
                                         "cosine": {"T_max": 55, "eta_min": 1e-5}, "milestones": [5]}, 60),
]


def build_scheduler(kind, opt, args):
    if kind == "step":
        return S.StepLR(opt, **args)
    if kind == "multistep":
        return S.MultiStepLR(opt, **args)
    if kind == "exponential":
        return S.ExponentialLR(opt, **args)
    if kind.startswith("cosine"):
        return S.CosineAnnealingLR(opt, **args)
    if kind.startswith("warm_restarts"):
        return S.CosineAnnealingWarmRestarts(opt, **args)
    if kind.startswith("linear"):
        return S.LinearLR(opt, **args)
    if kind.startswith("onecycle"):
        return S.OneCycleLR(opt, **args)
    if kind.startswith("sequential"):
        w = S.LinearLR(opt, **args["warmup"])
        c = S.CosineAnnealingLR(opt, **args["cosine"])
        return S.SequentialLR(opt, [w, c], milestones=args["milestones"])
    raise ValueError(kind)


def run_scheduler(name, optkind, args, steps):
    lrs0 = [0.1, 0.03]
    opt = sched_optimizer(optkind, lrs0)
    sch = build_scheduler(name, opt, args)
    lrs = [list(sch.get_last_lr())]
    mom = [momentum_of(opt)]
    for _ in range(steps):
        opt.step()
        sch.step()
        lrs.append(list(sch.get_last_lr()))
        mom.append(momentum_of(opt))
    out = {"name": name, "optimizer": optkind, "group_lrs": lrs0, "args": args, "steps": steps, "lr": lrs}
    if name.startswith("onecycle"):
        out["momentum"] = mom
    return out


def run_warm_restarts_fractional():
    """The documented pattern scheduler.step(epoch + i / iters) with fractional epochs."""
    opt = sched_optimizer("sgd", [0.1, 0.03])
    sch = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-4)
    epochs, lrs = [], []
    for epoch in range(20):
        for i in range(4):
            e = epoch + i / 4
            sch.step(e)
            epochs.append(e)
            lrs.append(list(sch.get_last_lr()))
    return {"name": "warm_restarts_fractional", "group_lrs": [0.1, 0.03],
            "args": {"T_0": 3, "T_mult": 2, "eta_min": 1e-4}, "epochs": epochs, "lr": lrs}


METRICS = [1.0, 0.9, 0.95, 0.91, 0.9, 0.92, 0.93, 0.89995, 0.8, 0.85, 0.86, 0.84, 0.83, 0.83, 0.9, 0.95, 0.7,
           0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.69, 0.69, 0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.5,
           0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58, 0.59, 0.60]
PLATEAU_CASES = [
    ("min_rel", {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-4, "threshold_mode": "rel"}),
    ("min_abs_cooldown", {"mode": "min", "factor": 0.3, "patience": 1, "threshold": 0.02, "threshold_mode": "abs",
                          "cooldown": 3}),
    ("max_rel_minlr", {"mode": "max", "factor": 0.1, "patience": 0, "threshold": 0.01, "threshold_mode": "rel",
                       "min_lr": [1e-3, 1e-4]}),
    ("max_abs_eps", {"mode": "max", "factor": 0.9, "patience": 1, "threshold": 0.0, "threshold_mode": "abs",
                     "eps": 5e-3, "min_lr": 0.02}),
]


def run_plateau(name, args):
    opt = sched_optimizer("sgd", [0.1, 0.03])
    sch = S.ReduceLROnPlateau(opt, **args)
    lrs = []
    for m in METRICS:
        opt.step()
        sch.step(m)
        lrs.append([g["lr"] for g in opt.param_groups])
    return {"name": name, "group_lrs": [0.1, 0.03], "args": args, "lr": lrs,
            "final": {"best": sch.best, "num_bad_epochs": sch.num_bad_epochs, "cooldown_counter": sch.cooldown_counter,
                      "last_epoch": sch.last_epoch}}


def schedulers():
    return {"cases": [run_scheduler(*c) for c in SCHED_CASES],
            "warm_restarts_fractional": run_warm_restarts_fractional(),
            "plateau": {"metrics": METRICS, "cases": [run_plateau(*c) for c in PLATEAU_CASES]}}


# ---- gradient clipping ----

def clip():
    rng = np.random.default_rng(7)
    grads = {k: f32(rng.normal(0, 1, size=s)) for k, s in {"a": [4, 5], "b": [7], "c": [2, 2, 3]}.items()}
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.7, float("inf")), (2.0, 3.0), (0.0, 2.0)]:
        ps = {k: torch.zeros(v.shape, requires_grad=True) for k, v in grads.items()}
        for k, p in ps.items():
            p.grad = torch.tensor(grads[k])
        total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm, norm_type)
        cases.append({"max_norm": max_norm, "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                      "total": float(total), "grads": {k: flat(p.grad) for k, p in ps.items()}})
    values = []
    for v in [0.1, 0.5, 3.0]:
        ps = {k: torch.zeros(g.shape, requires_grad=True) for k, g in grads.items()}
        for k, p in ps.items():
            p.grad = torch.tensor(grads[k])
        torch.nn.utils.clip_grad_value_(list(ps.values()), v)
        values.append({"clip_value": v, "grads": {k: flat(p.grad) for k, p in ps.items()}})
    return {"shapes": {k: list(v.shape) for k, v in grads.items()},
            "grads": {k: [float(x) for x in v.reshape(-1)] for k, v in grads.items()},
            "norm": cases, "value": values}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("optimizers.json", optimizers), ("schedulers.json", schedulers), ("clip.json", clip)]:
        with open(os.path.join(OUT, name), "w") as f:
            json.dump({"torch": torch.__version__, **fn()}, f, separators=(",", ":"))
        print("wrote", name)


if __name__ == "__main__":
    main()
