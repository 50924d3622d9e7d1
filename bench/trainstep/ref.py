# PyTorch reference for bench/trainstep (embedded in the Go binary and run
# as `python3 -c`). argv[1] is a JSON object from the Go side:
#
#   {"threads": 2, "clock": "wall" | "cpu", "warmup": 20, "reps": 7,
#    "models": [{"name": ..., "kind": "mlp" | "transformer", "batch": 64,
#                "inputs": 64, "classes": 10, "hidden": [128, 64],
#                "activation": "relu", "dropout": 0,
#                "vocab": V, "context": T, "dim": D, "heads": H,
#                "layers": L, "mlp_ratio": 4,
#                "optimizer": {"kind": "adamw", "beta1": .., "beta2": ..,
#                              "eps": .., "momentum": .., "weight_decay": ..},
#                "lr": 0.003, "clip_norm": 5, "steps": 50}]}
#
# For each model it builds the same architecture as ml/model (float32, CPU),
# trains on synthetic data of the same shapes (one step = batch gather,
# forward, mean cross-entropy, backward, clipping by global norm, optimizer
# update) and prints one JSON line: per model the best and median seconds
# per step over `reps` timed runs of `steps` steps after `warmup` steps, and
# the parameter count (checked against ours by the Go side).
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
clock = time.process_time if cfg["clock"] == "cpu" else time.perf_counter
torch.manual_seed(1)

ACT = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(m):
    layers, fan = [], m["inputs"]
    for h in m["hidden"]:
        layers += [nn.Linear(fan, h), ACT[m["activation"]]()]
        if m["dropout"] > 0:
            layers.append(nn.Dropout(m["dropout"]))
        fan = h
    layers.append(nn.Linear(fan, m["classes"]))
    return nn.Sequential(*layers)


class Attention(nn.Module):
    # Causal multi-head self-attention as ml/model composes it: separate
    # q, k, v projections with bias, scores scaled by 1/sqrt(dh), mask
    # filled with -1e9, softmax, weighted sum, output projection, dropout.
    def __init__(self, d, h, p):
        super().__init__()
        self.h, self.dh = h, d // h
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.drop = nn.Dropout(p)

    def forward(self, x, mask):
        b, t, d = x.shape

        def heads(y):
            return y.view(b, t, self.h, self.dh).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dh))
        p = torch.softmax(s.masked_fill(mask, -1e9), dim=-1)
        o = (p @ v).transpose(1, 2).reshape(b, t, d)
        return self.drop(self.o(o))


class Block(nn.Module):
    def __init__(self, d, h, ratio, p):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, h, p)
        self.mlp = nn.Sequential(nn.Linear(d, ratio * d), nn.GELU(), nn.Linear(ratio * d, d), nn.Dropout(p))

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    # Token + position embeddings, pre-norm blocks, final layer norm, a
    # bias-free read-out to the vocabulary: logits [B*T, V].
    def __init__(self, m):
        super().__init__()
        v, t, d = m["vocab"], m["context"], m["dim"]
        self.tok = nn.Parameter(torch.randn(v, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(t, d) * 0.02)
        self.blocks = nn.ModuleList(
            Block(d, m["heads"], m["mlp_ratio"] or 4, m["dropout"]) for _ in range(m["layers"]))
        self.ln = nn.LayerNorm(d, eps=1e-5)
        self.head = nn.Linear(d, v, bias=False)
        self.register_buffer("mask", torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1))

    def forward(self, ids):
        b, t = ids.shape
        x = F.embedding(ids, self.tok) + self.pos
        for blk in self.blocks:
            x = blk(x, self.mask)
        return self.head(self.ln(x)).view(b * t, -1)


def optimizer(m, params):
    o = m["optimizer"]
    if o["kind"] == "sgd":
        return torch.optim.SGD(params, lr=m["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
    return torch.optim.AdamW(params, lr=m["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                             weight_decay=o["weight_decay"])


def bench(m):
    bsz, n = m["batch"], 4096
    if m["kind"] == "transformer":
        net = GPT(m)
        xs = torch.randint(0, m["vocab"], (n, m["context"]))
        ys = torch.randint(0, m["vocab"], (n, m["context"]))
    else:
        net = mlp(m)
        xs = torch.rand(n, m["inputs"])
        ys = torch.randint(0, m["classes"], (n,))
    net.train()
    params = list(net.parameters())
    opt = optimizer(m, params)
    order = torch.randperm(n)
    pos = [0]

    def step():
        i = pos[0]
        if i + bsz > n:
            i = 0
        pos[0] = i + bsz
        idx = order[i:i + bsz]
        x, y = xs[idx], ys[idx].reshape(-1)
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        if m["clip_norm"] > 0:
            nn.utils.clip_grad_norm_(params, m["clip_norm"])
        opt.step()
        return loss

    for _ in range(cfg["warmup"]):
        step()
    times = []
    for _ in range(cfg["reps"]):
        t0 = clock()
        for _ in range(m["steps"]):
            step()
        times.append((clock() - t0) / m["steps"])
    times.sort()
    return {"best": times[0], "median": times[len(times) // 2],
            "params": sum(p.numel() for p in params)}


out = {"version": torch.__version__, "threads": torch.get_num_threads(), "models": {}}
for m in cfg["models"]:
    out["models"][m["name"]] = bench(m)
print(json.dumps(out))
