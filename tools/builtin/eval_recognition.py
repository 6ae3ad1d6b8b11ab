#!/usr/bin/env python3
"""Measure how recognisable the built-in model's samples are, as the GPU test does
(tests/gpu/builtin-recognition.test.ts, tests/support/recognition.ts): each sample is matched
to the canonical rendering of every class by L2 distance after 4x4 average pooling; the rank
of its own class (0 = nearest) is recorded. Reports mean rank and top-5 for each guidance scale
(chance: mean rank (n-1)/2, top-5 5/n). A quick CPU proxy to follow training; the test is the
measure that counts.

  python3 tools/builtin/eval_recognition.py --ckpt tools/runs/builtin/ckpt.pt --classes all --seeds 1
"""
import argparse, json, os, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from sample import DEFAULT_CLASSES, MODEL_DIR, load_model, sample  # noqa: E402


def pooled(img, pool=4):
    h, w, c = img.shape
    return img.reshape(h // pool, pool, w // pool, pool, c).astype(np.float64).mean(axis=(1, 3)).ravel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(MODEL_DIR, "dit-builtin.safetensors"))
    ap.add_argument("--config", default=os.path.join(MODEL_DIR, "config.json"))
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    ap.add_argument("--classes", default="954,948,949,963,430,555,130,937", help="ids, or 'all'")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--cfg", default="1,4")
    ap.add_argument("--steps", type=int, default=25)
    args = ap.parse_args()

    d = np.load(args.data)
    canon = d["canonical"] == 1
    ref_ids = d["labels"][canon]
    refs = np.stack([pooled(im) for im in d["images"][canon]])
    model, cfg = load_model(None if args.ckpt else args.weights, args.config, args.ckpt)
    classes = sorted(ref_ids.tolist()) if args.classes == "all" else [int(x) for x in args.classes.split(",")]
    seeds = list(range(args.seeds))
    t0 = time.time()
    for s in [float(x) for x in args.cfg.split(",")]:
        labels = [c for c in classes for _ in seeds]
        imgs = sample(model, cfg, labels, [k + 11 for _ in classes for k in seeds], s, args.steps)
        ranks = []
        for lab, im in zip(labels, imgs):
            dist = ((refs - pooled(im)) ** 2).sum(axis=1)
            own = dist[ref_ids == lab][0]
            ranks.append(int((dist < own).sum()))
        ranks = np.array(ranks)
        print(f"cfg {s:g}: mean rank {ranks.mean():.1f} (chance {(len(ref_ids) - 1) / 2:.1f}), "
              f"top-5 {np.mean(ranks < 5):.2f} (chance {5 / len(ref_ids):.3f}), median {np.median(ranks):.0f}, n={len(ranks)}")
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
