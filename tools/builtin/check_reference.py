#!/usr/bin/env python3
"""Check tools/builtin/dit.py against the reference fixtures in
tests/fixtures/dit (computed with the official PyTorch DiT + diffusion code):
forward pass intermediates, forward_with_cfg, the respaced schedules, and a
10-step DDPM loop with guidance. A dev-time check only.

  python3 tools/builtin/check_reference.py
"""
import json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures", "dit")
sys.path.insert(0, HERE)
import st  # noqa: E402
import dit  # noqa: E402
from dit import DiT, GaussianDiffusion  # noqa: E402

torch.set_num_threads(1)


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def load(name):
    cfg = json.load(open(os.path.join(FIX, name + ".config.json")))
    w, _ = st.load(os.path.join(FIX, name + ".safetensors"))
    m = DiT(input_size=cfg["input_size"], patch_size=cfg["patch_size"], in_channels=cfg["in_channels"],
            hidden_size=cfg["hidden_size"], depth=cfg["depth"], num_heads=cfg["num_heads"],
            num_classes=cfg["num_classes"], learn_sigma=cfg["learn_sigma"], class_dropout_prob=cfg["class_dropout_prob"])
    m.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in w.items()}, strict=True)
    return m.eval(), cfg


def main():
    worst = {}
    for fast in (True, False):
        dit.FAST_CPU_LINEAR = fast
        for name in ("dit-tiny", "dit-small-p4"):
            m, cfg = load(name)
            io, _ = st.load(os.path.join(FIX, name + ".io.safetensors"))
            x, t, y = (torch.from_numpy(io[k]) for k in ("x", "t", "y"))
            with torch.no_grad():
                tf = m.t_embedder.timestep_embedding(t, 256)
                te = m.t_embedder(t)
                ye = m.y_embedder(y, False)
                tok = m.x_embedder(x) + m.pos_embed
                b0 = m.blocks[0](tok, te + ye)
                out = m(x, t, y)
                cfg_out = m.forward_with_cfg(x, t, y, float(io["cfg_scale"][0]))
            for k, v in (("t_freq", tf), ("t_emb", te), ("y_emb", ye), ("tokens_in", tok), ("block0_out", b0),
                         ("out", out), ("out_cfg", cfg_out)):
                e = rel(v.numpy(), io[k])
                worst[(name, k)] = max(worst.get((name, k), 0), e)
    for k, e in worst.items():
        print(f"{k[0]:14s} {k[1]:11s} rel err {e:.2e}")
        assert e < 1e-4, k
    dit.FAST_CPU_LINEAR = True

    sched = json.load(open(os.path.join(FIX, "schedules.json")))
    for sp in ("1000", "250", "100", "50", "25", "10"):
        ref = sched[sp]
        d = GaussianDiffusion.respaced(1000, None if sp == "1000" else int(sp))
        assert list(d.timestep_map) == ref["timestep_map"], sp
        for k in ("betas", "alphas_cumprod", "alphas_cumprod_prev", "posterior_variance",
                  "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
                  "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod"):
            e = rel(getattr(d, k), ref[k])
            assert e < 1e-12, (sp, k, e)
    print("schedules: 1000/250/100/50/25/10 match")

    m, cfg = load("dit-tiny")
    io, meta = st.load(os.path.join(FIX, "loop-tiny-ddpm10.io.safetensors"))
    z = torch.from_numpy(io["z"])
    y = torch.from_numpy(io["y"])
    yy = torch.cat([y, torch.full_like(y, cfg["num_classes"])])
    d = GaussianDiffusion.respaced(1000, 10)
    trace, seen_t = [], []

    def fn(x, t):
        seen_t.append(int(t[0]))
        return m.forward_with_cfg(x, t, yy, float(io["cfg_scale"][0]))
    noise = [torch.from_numpy(n) for n in io["step_noise"]]
    with torch.no_grad():
        xf = d.p_sample_loop(fn, (4,) + tuple(z.shape[1:]), torch.cat([z, z]), clip_denoised=False,
                             step_noise=noise, trace=trace)
    assert seen_t == list(io["timesteps"]), (seen_t, io["timesteps"])
    e1 = max(rel(s.numpy(), r) for (s, _), r in zip(trace, io["samples"]))
    e2 = max(rel(p.numpy(), r) for (_, p), r in zip(trace, io["pred_xstart"]))
    e3 = rel(xf[:2].numpy(), io["final"])
    print(f"ddpm10 loop: samples {e1:.2e} pred_xstart {e2:.2e} final {e3:.2e}")
    assert max(e1, e2, e3) < 1e-4
    print("OK")


if __name__ == "__main__":
    main()
