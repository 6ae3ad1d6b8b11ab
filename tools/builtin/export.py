#!/usr/bin/env python3
"""Export the EMA weights of the built-in DiT to public/models/builtin/.

Writes
  dit-builtin.safetensors  float16, official DiT key names, pos_embed (1, T, D)
  config.json              the model config (DiT Studio format)
  classes.json             the trained classes (ImageNet id, name, emoji)
and, unless --no-check, re-reads the file and compares it with the EMA weights.

  python3 tools/builtin/export.py [--ckpt tools/runs/builtin/ckpt.pt]
"""
import argparse, json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import st  # noqa: E402

torch.set_num_threads(1)

CONFIG_KEYS = ["input_size", "patch_size", "in_channels", "hidden_size", "depth", "num_heads",
               "num_classes", "learn_sigma", "class_dropout_prob"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, "tools", "runs", "builtin", "ckpt.pt"))
    ap.add_argument("--classes", default=os.path.join(HERE, "emoji_classes.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "builtin"))
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location="cpu")
    cfg = ck["config"]
    ema = ck["ema"]
    os.makedirs(args.out, exist_ok=True)

    tensors = {k: v.detach().float().numpy().astype(np.float16) for k, v in ema.items()}
    for k, v in ema.items():
        m = float(v.abs().max())
        if m > 60000:
            sys.exit(f"{k}: |w| max {m} does not fit float16")
    designs = ck["args"].get("designs", "noto")  # runs before the multi-design data set trained on Noto only
    meta = {"format": "pt", "model": "DiT", "dataset": f"emoji 32x32, designs {designs} (tools/builtin/make_dataset.py)",
            "train_steps": ck["step"], "train_minutes": f"{ck['train_seconds'] / 60:.1f}", "weights": "EMA"}
    path = os.path.join(args.out, "dit-builtin.safetensors")
    st.save(path, tensors, meta)

    conf = {k: cfg[k] for k in CONFIG_KEYS}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(conf, f)
        f.write("\n")
    classes = json.load(open(args.classes, encoding="utf-8"))
    with open(os.path.join(args.out, "classes.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps({"class_id": c["class_id"], "name": c["imagenet_name"],
                                                      "emoji": c["emoji"]}, ensure_ascii=False)
                                   for c in classes) + "\n]\n")
    nparams = sum(v.numel() for v in ema.values())
    print(f"wrote {path}: {len(tensors)} tensors, {nparams:,} values, {os.path.getsize(path) / 1e6:.2f} MB, "
          f"step {ck['step']}, {ck['train_seconds'] / 60:.1f} min")

    if not args.no_check:
        back, meta2 = st.load(path)
        assert set(back) == set(ema), "key mismatch"
        worst = 0.0
        for k, v in ema.items():
            a = v.float().numpy()
            b = back[k].astype(np.float32)
            assert b.shape == a.shape, (k, b.shape, a.shape)
            assert b.dtype == np.float32 and back[k].dtype == np.float16
            err = float(np.abs(a - b).max() / (np.abs(a).max() + 1e-12))
            worst = max(worst, err)
        assert worst < 1e-3, worst
        assert back["pos_embed"].shape == (1, (cfg["input_size"] // cfg["patch_size"]) ** 2, cfg["hidden_size"])
        print(f"check: re-read {len(back)} tensors, max relative f16 error {worst:.2e}, metadata {meta2}")


if __name__ == "__main__":
    main()
