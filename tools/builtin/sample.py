#!/usr/bin/env python3
"""Sample the built-in DiT: official DDPM ancestral sampling (IDDPM p_sample_loop
on a respaced schedule, learned-range variance) with classifier-free guidance
exactly as the official forward_with_cfg (guidance on the first 3 output
channels, which in pixel space are all the eps channels).

Weights from the exported float16 safetensors (default) or from a training
checkpoint's EMA (--ckpt). Writes a grid PNG: one row per class; one block of
--seeds columns per guidance scale.

  python3 tools/builtin/sample.py --out /tmp/samples.png
  python3 tools/builtin/sample.py --ckpt tools/runs/builtin/ckpt.pt --classes 281,207,948 --cfg 1,4
"""
import argparse, json, os, sys, time
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import st  # noqa: E402
from dit import DiT, GaussianDiffusion  # noqa: E402

torch.set_num_threads(1)
MODEL_DIR = os.path.join(ROOT, "public", "models", "builtin")
DEFAULT_CLASSES = "281,207,291,388,145,130,948,954,963,430,817,555,546,483"


def load_model(weights=None, config=None, ckpt=None):
    if ckpt:
        ck = torch.load(ckpt, map_location="cpu")
        cfg, sd = ck["config"], ck["ema"]
    else:
        cfg = json.load(open(config))
        arrs, _ = st.load(weights)
        sd = {k: torch.from_numpy(v.astype(np.float32)) for k, v in arrs.items()}
    model = DiT(input_size=cfg["input_size"], patch_size=cfg["patch_size"], in_channels=cfg["in_channels"],
                hidden_size=cfg["hidden_size"], depth=cfg["depth"], num_heads=cfg["num_heads"],
                num_classes=cfg["num_classes"], learn_sigma=cfg["learn_sigma"],
                class_dropout_prob=cfg["class_dropout_prob"])
    missing, unexpected = model.load_state_dict(sd, strict=True), None
    model.eval()
    return model, cfg


def guided_model(model, cfg, labels, seeds, cfg_scale):
    """The starting noise z (one seeded Generator per picture) and the model function, as the
    official sample.py: with guidance > 1 the batch is doubled with the null class and the model
    runs forward_with_cfg. Returns (z, fn(x, t))."""
    r, c = cfg["input_size"], cfg["in_channels"]
    z = torch.stack([torch.randn(c, r, r, generator=torch.Generator().manual_seed(s)) for s in seeds])
    y = torch.tensor(labels)
    if cfg_scale > 1.0:
        z = torch.cat([z, z], 0)
        y = torch.cat([y, torch.full_like(y, cfg["num_classes"])], 0)
        return z, lambda x, t: model.forward_with_cfg(x, t, y, cfg_scale)
    return z, lambda x, t: model(x, t, y)


@torch.no_grad()
def sample(model, cfg, labels, seeds, cfg_scale, steps=50, clip=False):
    """labels, seeds: equal-length lists. Returns uint8 (N, H, W, 3)."""
    diffusion = GaussianDiffusion.respaced(1000, steps)
    n = len(labels)
    z, fn = guided_model(model, cfg, labels, seeds, cfg_scale)
    gen = torch.Generator().manual_seed(int(sum(seeds)) * 7919 + 1)
    x = diffusion.p_sample_loop(fn, z.shape, z, clip_denoised=clip, generator=gen)
    x = x[:n]
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(MODEL_DIR, "dit-builtin.safetensors"))
    ap.add_argument("--config", default=os.path.join(MODEL_DIR, "config.json"))
    ap.add_argument("--ckpt", default=None, help="use the EMA of a training checkpoint instead")
    ap.add_argument("--classes", default=DEFAULT_CLASSES, help="comma-separated ImageNet ids, or 'all'")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--cfg", default="1,4", help="comma-separated guidance scales")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--clip", action="store_true",
                    help="clip the predicted x0 to [-1, 1] (off by default, as in the official DiT sample.py)")
    ap.add_argument("--scale", type=int, default=3, help="pixel upscaling of the grid")
    ap.add_argument("--out", default=os.path.join(MODEL_DIR, "samples.png"))
    ap.add_argument("--npz", default=None, help="also save the raw samples")
    args = ap.parse_args()

    model, cfg = load_model(None if args.ckpt else args.weights, args.config, args.ckpt)
    names = {c["class_id"]: c for c in json.load(open(os.path.join(HERE, "emoji_classes.json"), encoding="utf-8"))}
    classes = sorted(names) if args.classes == "all" else [int(x) for x in args.classes.split(",")]
    scales = [float(s) for s in args.cfg.split(",")]
    seeds = list(range(args.seed0, args.seed0 + args.seeds))

    t0 = time.time()
    blocks = []
    for s in scales:
        labels = [c for c in classes for _ in seeds]
        sd = [k for _ in classes for k in seeds]
        blocks.append(sample(model, cfg, labels, sd, s, args.steps, args.clip))
    print(f"sampled {len(classes)} classes x {len(seeds)} seeds x {len(scales)} scales "
          f"({args.steps} steps) in {time.time() - t0:.1f}s")

    r, k, gap, label_w, head = cfg["input_size"] * args.scale, len(seeds), 12, 150, 18
    W = label_w + len(scales) * (k * (r + 2)) + (len(scales) - 1) * gap
    H = head + len(classes) * (r + 2)
    grid = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(grid)
    font = ImageFont.load_default()
    for bi, (s, imgs) in enumerate(zip(scales, blocks)):
        x0 = label_w + bi * (k * (r + 2) + gap)
        d.text((x0 + 2, 3), f"cfg {s:g}" if s > 1 else "no guidance", fill="black", font=font)
        for ci in range(len(classes)):
            for j in range(k):
                im = Image.fromarray(imgs[ci * k + j]).resize((r, r), Image.NEAREST)
                grid.paste(im, (x0 + j * (r + 2), head + ci * (r + 2)))
    for ci, c in enumerate(classes):
        nm = names[c]["imagenet_name"].split(",")[0] if c in names else "?"
        d.text((4, head + ci * (r + 2) + r // 2 - 5), f"{c} {nm}"[:24], fill="black", font=font)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    grid.save(args.out)
    print("wrote", args.out)
    if args.npz:
        np.savez_compressed(args.npz, classes=np.array(classes), seeds=np.array(seeds), scales=np.array(scales),
                            samples=np.stack(blocks))


if __name__ == "__main__":
    main()
