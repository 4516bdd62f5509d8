#!/usr/bin/env python3
"""Writes the PyTorch reference trajectories that src/presets/torch.test.ts compares RAdam, Rprop and ASGD to.

Each case runs one torch.optim optimizer in float64 on two parameters (shapes [2, 3] and [4]) for STEPS steps with
fixed gradients (a gradient per step, the same whatever the parameters are, so that float32 rounding on our side
cannot change the path), and records the parameters and the optimizer's per-parameter state after every step.
Initial values and gradients are float32 numbers (rounded once here), so both sides start from the same inputs.

Regenerate from packages/optimizers (Debian's python3-torch 1.13; OpenBLAS variables unset as the project's
ENVIRONMENT.md says):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/torch-fixtures.py
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

STEPS = 12
SHAPES = [[2, 3], [4]]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'presets', 'fixtures')


def f32(values):
    """float64 numbers that are exactly float32 numbers."""
    return torch.tensor(values, dtype=torch.float32).to(torch.float64)


def initial():
    return [f32([[0.5, -1.25, 2.0], [0.03, -0.7, 1.5]]), f32([0.25, -0.5, 1.0, -2.0])]


def gradient(step):
    """The gradient of step `step` (0-based): mixed signs and sizes, sign changes between steps, one exact 0."""
    out = []
    for k, shape in enumerate(SHAPES):
        n = math.prod(shape)
        g = [math.sin(1.3 * (step + 1) * (i + 1) + k) * (1 + i) * 0.8 for i in range(n)]
        if k == 1 and step % 4 == 2:
            g[0] = 0.0  # Rprop's "no sign" branch
        out.append(f32(g).reshape(shape))
    return out


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def run(make, state_keys):
    params = [torch.nn.Parameter(p.clone()) for p in initial()]
    opt = make(params)
    trajectory = []
    for step in range(STEPS):
        for p, g in zip(params, gradient(step)):
            p.grad = g.clone()
        opt.step()
        trajectory.append({
            'params': [flat(p) for p in params],
            'state': [{ours: flat(opt.state[p][theirs]) for theirs, ours in state_keys.items()} for p in params],
        })
    return trajectory


def radam_cases():
    keys = {'exp_avg': 'expAvg', 'exp_avg_sq': 'expAvgSq'}
    out = []
    for name, kw, ours in [
        ('defaults', {}, {}),
        ('lr 0.1, betas (0.8, 0.99), eps 1e-6', dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
         dict(learningRate=0.1, beta1=0.8, beta2=0.99, epsilon=1e-6)),
        ('lr 0.05, weight_decay 0.1', dict(lr=0.05, weight_decay=0.1), dict(learningRate=0.05, weightDecay=0.1)),
        ('lr 0.1, eps 0.5: where eps sits matters', dict(lr=0.1, eps=0.5), dict(learningRate=0.1, epsilon=0.5)),
    ]:
        traj = run(lambda p: torch.optim.RAdam(p, foreach=False, **kw), keys)
        # 1.13's foreach path leaves eps out of the denominator (later versions add it); without eps they agree.
        no_eps = {**kw, 'eps': 0.0}
        check_same(run(lambda p: torch.optim.RAdam(p, foreach=False, **no_eps), keys),
                   run(lambda p: torch.optim.RAdam(p, foreach=True, **no_eps), keys), 'RAdam ' + name)
        out.append({'name': name, 'torchOptions': {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
                    'options': ours, 'trajectory': traj})
    return out


def rprop_cases():
    keys = {'prev': 'prev', 'step_size': 'stepSize'}
    out = []
    for name, kw, ours in [
        ('defaults', {}, {}),
        ('lr 0.1, etas (0.3, 1.5), step_sizes (0.02, 0.2): both clamps reached',
         dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.02, 0.2)),
         dict(learningRate=0.1, etaminus=0.3, etaplus=1.5, stepSizes=[0.02, 0.2])),
    ]:
        traj = run(lambda p: torch.optim.Rprop(p, foreach=False, **kw), keys)
        check_same(traj, run(lambda p: torch.optim.Rprop(p, foreach=True, **kw), keys), 'Rprop ' + name)
        out.append({'name': name, 'torchOptions': {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
                    'options': ours, 'trajectory': traj})
    return out


def asgd_cases():
    keys = {'ax': 'ax'}
    out = []
    for name, kw, ours in [
        ('defaults (t0 1e6: ax is the weights)', {}, {}),
        ('lr 0.05, lambd 0.01, alpha 0.6, t0 3, weight_decay 0.1: averaging from step 6 (1-based)',
         dict(lr=0.05, lambd=0.01, alpha=0.6, t0=3, weight_decay=0.1),
         dict(learningRate=0.05, lambd=0.01, alpha=0.6, t0=3, weightDecay=0.1)),
    ]:
        traj = run(lambda p: torch.optim.ASGD(p, foreach=False, **kw), keys)
        check_same(traj, run(lambda p: torch.optim.ASGD(p, foreach=True, **kw), keys), 'ASGD ' + name)
        out.append({'name': name, 'torchOptions': kw, 'options': ours, 'trajectory': traj})
    return out


def check_same(a, b, what):
    """torch 1.13's single-tensor and foreach paths give the same numbers (NAdam's did not: pytorch#92699)."""
    worst = 0.0
    for sa, sb in zip(a, b):
        for pa, pb in zip(sa['params'], sb['params']):
            worst = max(worst, max(abs(x - y) for x, y in zip(pa, pb)))
    if worst > 1e-12:
        raise SystemExit(f'{what}: foreach and single-tensor paths differ by {worst}')


def write(file, optimizer, cases):
    doc = {
        'generator': 'packages/optimizers/scripts/torch-fixtures.py',
        'torch': torch.__version__,
        'dtype': 'float64',
        'optimizer': f'torch.optim.{optimizer}',
        'shapes': SHAPES,
        'initial': [flat(p) for p in initial()],
        'gradients': [[flat(g) for g in gradient(s)] for s in range(STEPS)],
        'cases': cases,
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, file), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'wrote {file}: {len(cases)} cases x {STEPS} steps')


write('radam.json', 'RAdam', radam_cases())
write('rprop.json', 'Rprop', rprop_cases())
write('asgd.json', 'ASGD', asgd_cases())
