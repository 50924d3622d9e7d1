"""Reference forward/backward of the CE-v1 graph op cases in PyTorch.

Reads JSON {case: {"params": {name: [shape, data]}, "inputs": {...}, "R": [shape, data]}}
from stdin and writes {case: {"out": data, "grads": {name: data}}}: out is the
op's output and grads the gradients of sum(out * R) with respect to each param.
Used by graph's TestOpsMatchPyTorch.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)


def t(v, grad=False):
    shape, data = v
    x = torch.tensor(data, dtype=torch.float32).reshape(shape)
    return x.requires_grad_(grad)


CASES = {
    "matmul": lambda p, i: p["a"] @ p["b"],
    "matmul_ta": lambda p, i: p["a"].T @ p["b"],
    "matmul_tb": lambda p, i: p["a"] @ p["b"].T,
    "matmul_tab": lambda p, i: p["a"].T @ p["b"].T,
    "bmatmul": lambda p, i: torch.bmm(p["a"], p["b"].transpose(1, 2)),
    "add_bcast": lambda p, i: p["a"] + p["b"],
    "sub_bcast": lambda p, i: p["a"] - p["b"],
    "mul_bcast": lambda p, i: p["a"] * p["b"],
    "mul_self": lambda p, i: p["a"] * p["a"],
    "scale": lambda p, i: p["a"] * 0.37,
    "sum": lambda p, i: p["a"].sum(),
    "mean": lambda p, i: p["a"].mean(),
    "sumto": lambda p, i: p["a"].sum(0).sum(-1, keepdim=True),
    "broadcast": lambda p, i: p["a"].expand(2, 3, 4),
    "relu": lambda p, i: F.relu(p["a"]),
    "gelu": lambda p, i: F.gelu(p["a"]),
    "tanh": lambda p, i: torch.tanh(p["a"]),
    "sigmoid": lambda p, i: torch.sigmoid(p["a"]),
    "softmax": lambda p, i: F.softmax(p["a"], -1),
    "logsoftmax": lambda p, i: F.log_softmax(p["a"], -1),
    "cross_entropy": lambda p, i: F.cross_entropy(p["a"], i["y"].long()),
    "mse": lambda p, i: F.mse_loss(p["a"], i["t"]),
    "layernorm": lambda p, i: F.layer_norm(p["x"], (8,), p["gamma"], p["beta"], 1e-5),
    "embedding": lambda p, i: F.embedding(i["ids"].long(), p["t"]),
    "reshape": lambda p, i: p["a"].reshape(2, 6),
    "transpose": lambda p, i: p["a"].permute(2, 0, 1),
    "slice": lambda p, i: p["a"][:, 1:4, :],
    "concat": lambda p, i: torch.cat([p["a"], p["b"]], 1),
    "conv2d": lambda p, i: F.conv2d(p["x"], p["w"], stride=1, padding=1),
    "conv2d_s2": lambda p, i: F.conv2d(p["x"], p["w"], stride=2, padding=0),
    "maxpool": lambda p, i: F.max_pool2d(p["x"], 2, 2),
    "maxpool_overlap": lambda p, i: F.max_pool2d(p["x"], 3, 1),
    "avgpool": lambda p, i: F.avg_pool2d(p["x"], 2, 2),
    "causal_softmax": lambda p, i: F.softmax(
        p["a"].masked_fill(torch.triu(torch.ones(4, 4, dtype=torch.bool), 1), -1e9), -1),
}


def main():
    cases = json.load(sys.stdin)
    out = {}
    for name, c in cases.items():
        if name not in CASES:
            continue
        params = {k: t(v, True) for k, v in c["params"].items()}
        inputs = {k: t(v) for k, v in c["inputs"].items()}
        y = CASES[name](params, inputs)
        (y * t(c["R"])).sum().backward()
        out[name] = {
            "out": y.detach().reshape(-1).tolist(),
            "grads": {k: v.grad.reshape(-1).tolist() for k, v in params.items()},
        }
    json.dump(out, sys.stdout)


main()
