"""audiogan.train.distributed: the data-parallel helpers are exact no-ops in a single process, and with two
gloo ranks (loopback only) they broadcast rank 0's weights, average gradients and report equal checksums."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import nn

from audiogan.train import distributed as D

ROOT = Path(__file__).resolve().parents[2]


def small_net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))


# -- one process -------------------------------------------------------------------------------------------
def test_without_a_process_group_this_is_rank_0_of_1(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    D.init_from_env("cpu")  # not launched by torchrun: joins nothing
    monkeypatch.setenv("WORLD_SIZE", "1")
    D.init_from_env("cuda")
    assert not dist.is_initialized()
    assert (D.world_size(), D.rank(), D.is_main()) == (1, 0, True)
    assert D.local_device("cpu") == "cpu" and D.local_device("cuda") == "cuda"  # no LOCAL_RANK needed
    D.barrier()
    D.shutdown()
    D.shutdown(clean=False)


def test_single_process_broadcast_and_gradient_averaging_change_nothing():
    net = small_net(0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    D.broadcast_modules([net])
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    net(torch.randn(5, 3)).sum().backward()
    params = list(net.parameters())
    grads = [p.grad.clone() for p in params]
    D.average_gradients(params)
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, params))
    D.average_gradients([nn.Parameter(torch.ones(2))])  # a parameter without a gradient is fine


def test_parameter_checksum_is_one_number_that_any_weight_change_moves():
    nets = {"generator": small_net(0), "discriminator": small_net(1)}
    (total,) = D.parameter_checksums(nets)
    expected = sum(
        float(p.detach().double().abs().sum() + 1e-3 * p.detach().double().sum())
        for name in sorted(nets)
        for p in nets[name].parameters()
    )
    assert total == pytest.approx(expected, rel=1e-12)
    assert D.parameter_checksums(dict(reversed(list(nets.items())))) == [total]  # by name, not dict order
    with torch.no_grad():
        next(nets["discriminator"].parameters()).view(-1)[0] += 1e-3
    assert D.parameter_checksums(nets) != [total]
    with torch.no_grad():  # a sign flip keeps the abs-sum; the weighted sum still sees it
        p = next(nets["generator"].parameters())
        p.view(-1)[0] = -p.view(-1)[0]
    assert D.parameter_checksums(nets)[0] != pytest.approx(total, abs=0)
    assert D.parameter_checksums({}) == [0.0]


# -- two ranks ---------------------------------------------------------------------------------------------
RANK_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import torch
    from torch import nn
    from audiogan.train import distributed as D

    D.init_from_env("cpu")  # WORLD_SIZE=2 from the environment: joins the gloo group
    rank = D.rank()
    torch.manual_seed(100 + rank)  # different weights on each rank ...
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    before = D.parameter_checksums({"net": net})
    D.broadcast_modules([net])  # ... until rank 0's are copied everywhere
    after = D.parameter_checksums({"net": net})
    for i, p in enumerate(net.parameters()):
        p.grad = torch.full_like(p, float(rank + 1) * (i + 1))
    net[2].bias.grad = None  # a parameter without a gradient (on every rank) is left out
    D.average_gradients(list(net.parameters()))
    grads = [float(p.grad.flatten()[0]) for p in net.parameters() if p.grad is not None]
    D.barrier()
    out = {"rank": rank, "world": D.world_size(), "main": D.is_main(), "before": before, "after": after,
           "weights": float(net[0].weight.sum()), "grads": grads}
    D.shutdown()
    print(json.dumps(out))
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_share_rank_0_weights_and_average_gradients(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(free_port()), "WORLD_SIZE": "2"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RANK_SCRIPT], env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        )
        for r in (0, 1)
    ]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-2000:]
            outs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:  # a rank whose peer failed would wait for it forever
            if p.poll() is None:
                p.kill()
                p.wait()
    r0, r1 = outs
    assert (r0["rank"], r0["world"], r0["main"]) == (0, 2, True)
    assert (r1["rank"], r1["world"], r1["main"]) == (1, 2, False)
    assert r0["before"][0] != r0["before"][1]  # all_gather: one checksum per rank, different at first
    assert r0["after"][0] == r0["after"][1] == r1["after"][0] == r0["before"][0]  # rank 0's weights
    assert r0["weights"] == r1["weights"]
    # the mean of (1, 2) * (i + 1) for each of the 5 parameters that have a gradient
    assert r0["grads"] == r1["grads"] == [1.5 * (i + 1) for i in range(5)]
