#!/usr/bin/env python3
"""Which classes the built-in DiT draws best: every trained class x 4 seeds at guidance 4, DDIM 50,
ranked by the nearest-template check of eval_builtin.py (own class first for how many seeds, then
mean rank, then object fraction). Picks the app's default class (src/app/state/settings.ts).

  python3 tools/builtin/best_classes.py [--ckpt tools/runs/builtin/ckpt.pt] [--top 15]
"""
import argparse, json, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from eval_builtin import HELD_OUT, ddim_sample, pooled, ranks  # noqa: E402
from sample import MODEL_DIR, load_model  # noqa: E402

SEEDS = [0, 1, 2, 3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(MODEL_DIR, "dit-builtin.safetensors"))
    ap.add_argument("--config", default=os.path.join(MODEL_DIR, "config.json"))
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    d = np.load(args.data)
    held = d["design"] == list(d["design_names"]).index(HELD_OUT)
    trained = sorted(set(d["labels"][~held].tolist()))
    refs, ref_labels = pooled(d["images"][~held]), d["labels"][~held]
    model, cfg = load_model(None if args.ckpt else args.weights, args.config, args.ckpt)
    names = {c["class_id"]: c["name"].split(",")[0] for c in json.load(open(os.path.join(MODEL_DIR, "classes.json")))}
    labels = [c for c in trained for _ in SEEDS]
    seeds = [s for _ in trained for s in SEEDS]
    im = np.concatenate([ddim_sample(model, cfg, labels[k:k + 24], seeds[k:k + 24], 4.0) for k in range(0, len(labels), 24)])
    r = ranks(pooled(im), labels, refs, ref_labels, trained).reshape(len(trained), len(SEEDS))
    obj = ((255 - im.astype(np.int16)).max(-1) > 48).mean((1, 2)).reshape(len(trained), len(SEEDS))
    order = sorted(range(len(trained)), key=lambda i: (-(r[i] == 0).sum(), r[i].mean(), -obj[i].min()))
    print(f"{len(trained)} classes x seeds {SEEDS}, guidance 4, DDIM 50: own class first for all seeds: "
          f"{int(((r == 0).all(1)).sum())} classes")
    for i in order[:args.top]:
        print(f"{trained[i]:4d} {names[trained[i]][:28]:28s} first for {(r[i] == 0).sum()}/{len(SEEDS)} seeds, "
              f"ranks {r[i].tolist()}, min object fraction {obj[i].min():.2f}")


if __name__ == "__main__":
    main()
