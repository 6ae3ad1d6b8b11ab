#!/usr/bin/env python3
"""Issue-13 metrics for the built-in DiT, in under two minutes on one CPU thread.

Samples 24 classes (spread evenly over the sorted 136 trained class ids) x seeds 0,1 with
DDIM (eta 0, 50 steps on the respaced schedule 'ddim50', as IDDPM ddim_sample_loop; no x0
clipping, as sample.py) at guidance 1 (plain conditional model) and guidance 4 (exactly
forward_with_cfg), then reports:
  - empty frames: pixel std (0..255, all pixels and channels); object pixel = max_c(255 - p_c) > 48,
    a picture shows an object when >= 5 % of its pixels are object pixels;
  - recognisable: 8x8 average-pooled pixels (4x4 blocks, 0..1), L2 distance to every training
    rendering (all variants, designs noto/fluent-flat/fluent-color), best distance per class,
    rank of the own class among the 136 (0 = nearest): top-1, top-5, mean rank;
  - held-out design: the same against the twemoji renderings only;
  - variety: mean L2 distance (8x8-pooled, 0..1) between the two seeds of a class (within) and
    between pictures of different classes with the same seed (between, all pairs).

  python3 tools/builtin/eval_builtin.py                      # exported weights
  python3 tools/builtin/eval_builtin.py --ckpt tools/runs/builtin/ckpt.pt --json /tmp/e.json --grid /tmp/e.png
"""
import argparse, json, os, sys, time
import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from dit import GaussianDiffusion, _extract  # noqa: E402
from sample import MODEL_DIR, guided_model, load_model  # noqa: E402

torch.set_num_threads(1)
N_CLASSES, SEEDS, SCALES = 24, [0, 1], [1.0, 4.0]
HELD_OUT = "twemoji"


@torch.no_grad()
def ddim_sample(model, cfg, labels, seeds, cfg_scale, respacing="ddim50"):
    """IDDPM ddim_sample_loop with eta = 0 (clip_denoised False); z and guidance as sample.py.
    Returns uint8 (N, H, W, 3)."""
    diff = GaussianDiffusion.respaced(1000, respacing)
    n = len(labels)
    x, fn = guided_model(model, cfg, labels, seeds, cfg_scale)
    for i in reversed(range(diff.num_timesteps)):
        t = torch.full((x.shape[0],), i, dtype=torch.long)
        _, _, x0 = diff.p_mean_variance_from_output(fn(x, diff.model_t(t)), x, t, clip_denoised=False)
        eps = (_extract(diff.sqrt_recip_alphas_cumprod, t, x.shape) * x - x0) \
            / _extract(diff.sqrt_recipm1_alphas_cumprod, t, x.shape)
        ab_prev = _extract(diff.alphas_cumprod_prev, t, x.shape)
        x = x0 * torch.sqrt(ab_prev) + torch.sqrt(1 - ab_prev) * eps  # sigma = 0
    return ((x[:n].clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def pooled(imgs, pool=4):
    """uint8 (N, H, W, 3) -> float (N, H/pool * W/pool * 3), 0..1."""
    n, h, w, c = imgs.shape
    return imgs.reshape(n, h // pool, pool, w // pool, pool, c).astype(np.float64).mean(axis=(2, 4)).reshape(n, -1) / 255


def ranks(samples, labels, refs, ref_labels, classes):
    """Rank of the own class (0 = nearest) by the best L2 distance over each class's renderings."""
    d2 = (samples ** 2).sum(1)[:, None] + (refs ** 2).sum(1)[None] - 2 * samples @ refs.T
    d = np.sqrt(np.maximum(d2, 0))
    best = np.stack([d[:, ref_labels == c].min(1) for c in classes], 1)
    own = best[np.arange(len(labels)), [classes.index(l) for l in labels]]
    return (best < own[:, None]).sum(1)


def rank_stats(r):
    return {"top1": float(np.mean(r < 1)), "top5": float(np.mean(r < 5)), "mean_rank": float(r.mean()),
            "ranks": r.tolist()}


def picture_metrics(im, labels, n_seeds, refs, ref_labels, held_refs, held_labels, trained):
    """Empty frames, recognition (trained designs and held out) and variety of uint8 (N, H, W, 3)
    pictures of one guidance scale, class-major: n_seeds (2) consecutive pictures per class."""
    p = pooled(im)
    std = im.reshape(len(im), -1).astype(np.float64).std(1)
    obj = ((255 - im.astype(np.int16)).max(-1) > 48).mean((1, 2))
    return {
        "empty": {"min_std": float(std.min()), "n_std_lt_10": int((std < 10).sum()),
                  "n_no_object": int((obj < 0.05).sum()), "n": len(im),
                  "std": std.round(2).tolist(), "object_fraction": obj.round(4).tolist()},
        "recognition": rank_stats(ranks(p, labels, refs, ref_labels, trained)),
        "held_out": rank_stats(ranks(p, labels, held_refs, held_labels, trained)),
        "variety": variety(p, n_seeds),
    }


def variety(p, n_seeds):
    """Within-class (every pair of seeds of a class; with seeds 0, 1 the one pair) and between-class
    (same seed, all pairs of classes) mean distances of pooled pictures, class-major, n_seeds per class."""
    pc = p.reshape(len(p) // n_seeds, n_seeds, -1)  # (class, seed, feature)
    within = np.mean([np.linalg.norm(pc[:, a] - pc[:, b], axis=-1) for a in range(n_seeds) for b in range(a + 1, n_seeds)])
    iu = np.triu_indices(len(pc), 1)
    between = np.mean([np.linalg.norm(pc[:, k][:, None] - pc[:, k][None], axis=-1)[iu] for k in range(n_seeds)])
    return {"within": float(within), "between": float(between),
            "between_over_within": float(between / within), "within_over_between": float(within / between)}


def reference_sets(d):
    """From emoji32.npz: (sorted trained class ids, the N_CLASSES evaluated ones spread evenly over
    them, pooled renderings of the trained designs, their labels, pooled held-out renderings, labels)."""
    held = d["design"] == list(d["design_names"]).index(HELD_OUT)
    trained = sorted(set(d["labels"][~held].tolist()))
    classes = [trained[round(i * (len(trained) - 1) / (N_CLASSES - 1))] for i in range(N_CLASSES)]
    return trained, classes, pooled(d["images"][~held]), d["labels"][~held], pooled(d["images"][held]), d["labels"][held]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(MODEL_DIR, "dit-builtin.safetensors"))
    ap.add_argument("--config", default=os.path.join(MODEL_DIR, "config.json"))
    ap.add_argument("--ckpt", default=None, help="use the EMA of a training checkpoint instead")
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    ap.add_argument("--json", default=None, help="also write all numbers here")
    ap.add_argument("--grid", default=None, help="PNG: rows = classes; seed0/seed1 at guidance 1, then at 4")
    ap.add_argument("--variety-seeds", type=int, default=0,
                    help="also the variety at guidance 4 over seeds 0..N-1 (as npm run builtin:metrics does with 6)")
    args = ap.parse_args()
    t0 = time.time()

    d = np.load(args.data)
    trained, classes, refs, ref_labels, held_refs, held_labels = reference_sets(d)
    model, cfg = load_model(None if args.ckpt else args.weights, args.config, args.ckpt)
    labels = [c for c in classes for _ in SEEDS]
    seeds = [s for _ in classes for s in SEEDS]

    res = {"source": args.ckpt or args.weights, "classes": classes, "seeds": SEEDS, "sampler": "ddim50, eta 0",
           "n_trained_classes": len(trained), "chance": {"top1": 1 / len(trained), "top5": 5 / len(trained),
                                                         "mean_rank": (len(trained) - 1) / 2}, "guidance": {}}
    imgs = {}
    for s in SCALES:
        ts = time.time()
        # chunks of 24 pictures (model batch <= 48): on one CPU thread a batch of 96 runs ~2x slower per picture
        im = imgs[s] = np.concatenate([ddim_sample(model, cfg, labels[k:k + 24], seeds[k:k + 24], s)
                                       for k in range(0, len(labels), 24)])
        res["guidance"][f"{s:g}"] = {"sample_s": time.time() - ts,
                                     **picture_metrics(im, labels, len(SEEDS), refs, ref_labels, held_refs, held_labels, trained)}
    if args.variety_seeds > len(SEEDS):
        ts = time.time()
        vseeds = list(range(args.variety_seeds))
        extra = [s for s in vseeds if s not in SEEDS]
        xl = [c for c in classes for _ in extra]
        xs = [s for _ in classes for s in extra]
        more = np.concatenate([ddim_sample(model, cfg, xl[k:k + 24], xs[k:k + 24], 4.0) for k in range(0, len(xl), 24)])
        both = np.stack([imgs[4.0].reshape(len(classes), len(SEEDS), -1)[:, SEEDS.index(s)] if s in SEEDS
                         else more.reshape(len(classes), len(extra), -1)[:, extra.index(s)] for s in vseeds], 1)
        res["variety_seeds"] = {"guidance": 4.0, "seeds": vseeds, "sample_s": time.time() - ts,
                                **variety(pooled(both.reshape(-1, *imgs[4.0].shape[1:])), len(vseeds))}
    res["wall_s"] = time.time() - t0

    ch = res["chance"]
    print(f"{res['source']}: {len(classes)} classes x seeds {SEEDS}, DDIM 50 (eta 0)")
    print(f"chance: top-1 {ch['top1']:.3f}  top-5 {ch['top5']:.3f}  mean rank {ch['mean_rank']:.1f}")
    for k, g in res["guidance"].items():
        e, v = g["empty"], g["variety"]
        print(f"guidance {k} ({g['sample_s']:.0f} s sampling)")
        print(f"  empty frames: min std {e['min_std']:.1f}, std<10: {e['n_std_lt_10']}/{e['n']}, "
              f"no visible object: {e['n_no_object']}/{e['n']}")
        for name, key in (("trained designs", "recognition"), ("held-out twemoji", "held_out")):
            r = g[key]
            print(f"  {name:16s}: top-1 {r['top1']:.3f}  top-5 {r['top5']:.3f}  mean rank {r['mean_rank']:.1f}")
        print(f"  variety (8x8 pooled, 0..1 L2): within {v['within']:.3f}  between {v['between']:.3f}  "
              f"between/within {v['between_over_within']:.2f}  within/between {v['within_over_between']:.3f}")
    if "variety_seeds" in res:
        v = res["variety_seeds"]
        print(f"variety over seeds {v['seeds']} at guidance 4: within {v['within']:.3f}  between {v['between']:.3f}  "
              f"between/within {v['between_over_within']:.2f}")
    print(f"wall time {res['wall_s']:.1f} s")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.grid:
        r = cfg["input_size"] * 2
        cols = [(s, j) for s in SCALES for j in range(len(SEEDS))]
        grid = Image.new("RGB", (len(cols) * (r + 2) + 6, len(classes) * (r + 2)), "white")
        for ci in range(len(classes)):
            for k, (s, j) in enumerate(cols):
                tile = Image.fromarray(imgs[s][ci * len(SEEDS) + j]).resize((r, r), Image.NEAREST)
                grid.paste(tile, (k * (r + 2) + (6 if k >= len(SEEDS) else 0), ci * (r + 2)))
        grid.save(args.grid)


if __name__ == "__main__":
    main()
