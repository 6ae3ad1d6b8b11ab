#!/usr/bin/env python3
"""Exports the benchmarks' peer models (ONNX) from the project's own model definition.

The peer of `npm run bench` is onnxruntime-web running the SAME model with the SAME weights:
this script builds each model from tools/builtin/dit.py (official DiT parameter names), loads
the weights the bench wrote (a safetensors file), and exports the forward with opset 17.

    /usr/bin/python3 tools/peer/export_onnx.py JOBS.json

JOBS.json is a list of {"kind", "spec", "weights", "out"}:
  dit          spec = DiT config (input_size, patch_size, ..., "batch"); inputs x [N,C,H,W] f32,
               t [N] f32, y [N] i64 -> out [N,Cout,H,W]; weights: the official state_dict keys
               (pos_embed may be absent: the fixed sin-cos table, as DiT initialises it).
  linear       spec = {M, K, N}; weights weight [N,K], bias [N]; x [M,K] -> y [M,N]
  attention    spec = {B, T, heads, head_dim}; qkv [B,T,3D] -> o [B,T,D] (DiT's Attention
               between its qkv and proj layers)
  ln_modulate  spec = {N, T, D}; x [N,T,D], modulation [N,2D] (shift | scale) -> y [N,T,D]
  dit_block    spec = {N, T, D, heads}; x [N,T,D], modulation [N,6D] (the block's adaLN
               output: shift/scale/gate msa, shift/scale/gate mlp) -> y [N,T,D]; weights:
               the block's keys (attn.qkv.weight, ..., mlp.fc2.bias)

Needs torch (Debian's python3-torch 1.13), onnx and numpy; nothing else.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "builtin"))
import dit as D  # noqa: E402

# The builtin model's Linear runs as a 1x1 convolution on Debian's CPU torch; the peer must see
# plain Gemm/MatMul, as a DiT exported from the reference code would.
D.FAST_CPU_LINEAR = False

OPSET = 17
DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def load(module, weights, allow_missing=()):
    missing, unexpected = module.load_state_dict(weights, strict=False)
    missing = [k for k in missing if k not in allow_missing]
    if missing or unexpected:
        raise SystemExit(f"weights do not fit the model: missing {missing[:5]}, unexpected {unexpected[:5]}")


class DitForward(nn.Module):
    def __init__(self, spec, weights):
        super().__init__()
        cfg = {k: spec[k] for k in ("input_size", "patch_size", "in_channels", "hidden_size", "depth",
                                    "num_heads", "num_classes", "learn_sigma")}
        cfg["mlp_ratio"] = spec.get("mlp_ratio", 4.0)
        cfg["class_dropout_prob"] = spec.get("class_dropout_prob", 0.1)
        self.model = D.DiT(**cfg)
        load(self.model, weights, allow_missing=("pos_embed",))

    def forward(self, x, t, y):
        return self.model(x, t, y)


class AttentionCore(nn.Module):
    """DiT's Attention.forward between self.qkv(x) and self.proj(...)."""
    def __init__(self, heads, head_dim):
        super().__init__()
        self.num_heads, self.head_dim = heads, head_dim
        self.scale = head_dim ** -0.5

    def forward(self, qkv):
        B, N, _ = qkv.shape
        C = self.num_heads * self.head_dim
        qkv = qkv.reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        return (attn @ v).transpose(1, 2).reshape(B, N, C)


class LnModulate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)

    def forward(self, x, modulation):
        shift, scale = modulation.chunk(2, dim=1)
        return D.modulate(self.norm(x), shift, scale)


class BlockGivenModulation(nn.Module):
    """DiTBlock.forward with its adaLN output given (the engine computes every block's
    modulation in one matmul before the blocks)."""
    def __init__(self, dim, heads, weights):
        super().__init__()
        self.block = D.DiTBlock(dim, heads)
        load(self.block, weights, allow_missing=("adaLN_modulation.1.weight", "adaLN_modulation.1.bias"))

    def forward(self, x, modulation):
        b = self.block
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = modulation.chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * b.attn(D.modulate(b.norm1(x), shift_msa, scale_msa))
        x = x + gate_mlp.unsqueeze(1) * b.mlp(D.modulate(b.norm2(x), shift_mlp, scale_mlp))
        return x


def build(kind, spec, weights):
    """(module, example inputs, input names, output name)"""
    if kind == "dit":
        n, c, h = spec["batch"], spec["in_channels"], spec["input_size"]
        ex = (torch.randn(n, c, h, h), torch.rand(n) * 999, torch.zeros(n, dtype=torch.int64))
        return DitForward(spec, weights), ex, ["x", "t", "y"], "out"
    if kind == "linear":
        m = nn.Linear(spec["K"], spec["N"])
        load(m, weights)
        return m, (torch.randn(spec["M"], spec["K"]),), ["x"], "y"
    if kind == "attention":
        B, T, H, hd = spec["B"], spec["T"], spec["heads"], spec["head_dim"]
        return AttentionCore(H, hd), (torch.randn(B, T, 3 * H * hd),), ["qkv"], "o"
    if kind == "ln_modulate":
        N, T, Dm = spec["N"], spec["T"], spec["D"]
        return LnModulate(Dm), (torch.randn(N, T, Dm), torch.randn(N, 2 * Dm)), ["x", "modulation"], "y"
    if kind == "dit_block":
        N, T, Dm = spec["N"], spec["T"], spec["D"]
        return BlockGivenModulation(Dm, spec["heads"], weights), (torch.randn(N, T, Dm), torch.randn(N, 6 * Dm)), ["x", "modulation"], "y"
    raise SystemExit(f"unknown kind {kind!r}")


def affine_layernorms(module):
    """torch 1.13 exports a LayerNorm without affine parameters as LayerNormalization with an
    empty scale input, which the ONNX checker and onnxruntime reject: give those LayerNorms
    scale 1 and bias 0 (the same function) so the graph is valid."""
    for m in module.modules():
        if isinstance(m, nn.LayerNorm) and not m.elementwise_affine:
            m.weight = nn.Parameter(torch.ones(m.normalized_shape))
            m.bias = nn.Parameter(torch.zeros(m.normalized_shape))
            m.elementwise_affine = True


def export(job):
    weights = read_safetensors(job["weights"]) if job.get("weights") else {}
    module, example, names, out_name = build(job["kind"], job["spec"], weights)
    module.eval()
    affine_layernorms(module)
    tmp = job["out"] + ".tmp"
    with torch.no_grad():
        torch.onnx.export(module, example, tmp, input_names=names, output_names=[out_name],
                          opset_version=OPSET, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(tmp)
    os.replace(tmp, job["out"])
    print(f"exported {job['kind']} -> {job['out']} ({os.path.getsize(job['out']) / 1e6:.1f} MB)", flush=True)


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, (os.cpu_count() or 1)))
    with open(argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        export(job)


if __name__ == "__main__":
    main(sys.argv)
