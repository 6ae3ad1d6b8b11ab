#!/usr/bin/env python3
"""Write public/models/builtin/MODEL_CARD.md from the exported model and the
training checkpoint (numbers: parameters, steps, time, throughput, loss).
Run after export.py (refresh.sh does both).

  python3 tools/builtin/model_card.py [--ckpt tools/runs/builtin/ckpt.pt]
"""
import argparse, json, os, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import st  # noqa: E402

MODEL_DIR = os.path.join(ROOT, "public", "models", "builtin")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, "tools", "runs", "builtin", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(MODEL_DIR, "MODEL_CARD.md"))
    ap.add_argument("--note", default="", help="status note printed under the title")
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location="cpu")
    targs = ck["args"]
    cfg = json.load(open(os.path.join(MODEL_DIR, "config.json")))
    classes = json.load(open(os.path.join(MODEL_DIR, "classes.json"), encoding="utf-8"))
    wpath = os.path.join(MODEL_DIR, "dit-builtin.safetensors")
    tensors, meta = st.load(wpath)
    nparams = sum(v.size for v in tensors.values())
    groups = {}
    for k, v in tensors.items():
        groups[k.split(".")[0]] = groups.get(k.split(".")[0], 0) + v.size
    exported_step = int(meta.get("train_steps", 0))
    exported_min = float(meta.get("train_minutes", 0))
    log = [r for r in ck["log"] if r["step"] <= exported_step] or ck["log"]
    last = log[-10:]
    loss = sum(r["loss"] for r in last) / len(last)
    mse = sum(r["mse"] for r in last) / len(last)
    vb = sum(r["vb"] for r in last) / len(last)
    ips = exported_step * targs["batch"] / max(1.0, exported_min * 60)
    T = (cfg["input_size"] // cfg["patch_size"]) ** 2
    H = cfg["hidden_size"]

    note_block = f"\n> **Status:** {args.note}\n" if args.note else ""
    cls_lines = "\n".join(f"| {c['class_id']} | {c['emoji']} | {c['name']} |" for c in classes)
    card = f"""# DiT built-in: emoji DiT-{cfg['depth']}x{H} (pixel space, 32x32)

A small class-conditional Diffusion Transformer (DiT, Peebles & Xie, "Scalable
Diffusion Models with Transformers") trained from scratch on colour emoji, so
that DiT Studio can generate something recognisable offline, without
downloading the ImageNet checkpoints. It works directly in pixel space (no
VAE): 32x32 RGB, values in [-1, 1].
{note_block}
Files: `dit-builtin.safetensors` (float16 EMA weights, official DiT key names,
{os.path.getsize(wpath) / 1e6:.2f} MB), `config.json`, `classes.json`,
`loss.png`, `samples.png`.

## Classes

{len(classes)} classes. Labels are the standard ImageNet-1k (ILSVRC-2012) class
ids and the model has the full 1000-row label table plus the null row
(`num_classes` = 1000), so ImageNet ids are used directly; only the ids below
were ever trained: any other label gives meaningless images. `classes.json`
holds this list (class id, ImageNet name, emoji); the reviewed mapping and its
checks are in `tools/builtin/build_classes.py` / `emoji_classes.json`.

<details><summary>All {len(classes)} classes</summary>

| id | emoji | ImageNet name |
| --- | --- | --- |
{cls_lines}

</details>

## Architecture

Exactly the official DiT `models.py`: patch embedding (stride-{cfg['patch_size']} conv),
fixed 2-D sin-cos position table `pos_embed` (1, {T}, {H}), timestep embedder
(256 sinusoidal frequencies, cos first, max period 10000, MLP with SiLU), label
embedder with a null class at index {cfg['num_classes']} (class dropout {cfg['class_dropout_prob']}),
{cfg['depth']} adaLN-Zero blocks (LayerNorm without affine, eps 1e-6; attention with a
single `qkv` Linear; MLP ratio 4 with tanh-approximated GELU), final adaLN layer,
`learn_sigma` (6 output channels: 3 eps + 3 variance interpolation values).

| input | patch | tokens | hidden | depth | heads | head dim | out channels |
| --- | --- | --- | --- | --- | --- | --- | --- |
| {cfg['input_size']}x{cfg['input_size']}x{cfg['in_channels']} | {cfg['patch_size']} | {T} | {H} | {cfg['depth']} | {cfg['num_heads']} | {H // cfg['num_heads']} | {cfg['in_channels'] * 2} |

Parameters: **{nparams:,}** (blocks {groups.get('blocks', 0):,}; label table {groups.get('y_embedder', 0):,}
= 1001 x {H}; timestep MLP {groups.get('t_embedder', 0):,}; final layer {groups.get('final_layer', 0):,};
patch embedding {groups.get('x_embedder', 0):,}; fixed `pos_embed` {groups.get('pos_embed', 0):,}).

## Training

- Data: each emoji rendered with PIL from Noto Color Emoji at its native
  109 px strike, cropped to its alpha box, composited on white, resized
  (Lanczos) to 32x32: one canonical rendering (object = 88 % of the frame,
  centred) + 15 mildly augmented ones per class (scale 0.78-0.96, shift up
  to 1.5 px); no flips. `tools/builtin/make_dataset.py`.
- Diffusion: 1000 steps, linear betas 1e-4 to 0.02, epsilon prediction,
  learned-range variance; the official IDDPM/DiT loss `LossType.MSE`:
  MSE(eps) + VLB term (mean detached; discretized Gaussian decoder NLL at t = 0),
  uniform t.
- Optimiser: AdamW, lr {targs['lr']:g} (linear warmup {targs['warmup']} steps), weight decay 0,
  batch {targs['batch']}; EMA of the weights (decay min({targs['ema']}, (1+s)/(10+s))); the
  EMA is what is exported.
- This export: step **{exported_step:,}**, **{exported_min:.0f} min** of wall time on one CPU
  thread (two for ~20 min; torch 1.13, on a 2-core machine shared with GPU tests; lr 3e-4 to
  step 3 075, then 8e-4; average
  {ips:.0f} images/s). Mean of the last logged intervals: loss {loss:.4f}
  (mse {mse:.4f}, vb {vb:.4f}).

![training loss](loss.png)

## Samples

`samples.png`: rows are classes, columns seeds 0-3; left block without
guidance, right block classifier-free guidance 4. Sampled from the exported
float16 file with `tools/builtin/sample.py`: official DDPM ancestral sampling
on a 50-step respaced schedule, learned variance, guidance as the official
`forward_with_cfg` (on the first 3 channels, which here are all the eps
channels), `clip_denoised=False` like the official DiT `sample.py` (clipping
the predicted x0 to [-1, 1] is available with `--clip`; for this small eps
model it makes things worse: at high noise the x0 estimate is far outside
[-1, 1] and clipping injects saturated noise).

![samples](samples.png)

## Limitations

A tiny model trained for minutes on a CPU: expect soft, sometimes blotchy
32x32 images that resemble the emoji of the class (colours, silhouette),
not clean emoji. Classes with similar shapes/colours can be confused. Only
the listed ids are meaningful. Not an ImageNet model: the ImageNet ids
are reused only so that the app's class picker works unchanged.

## Data and licence

Training images are renderings of **Noto Color Emoji** (Google; Debian package
`fonts-noto-color-emoji` {'2.042'}), licensed under the **SIL Open Font
License 1.1**. Emoji artwork (c) Google LLC. The OFL does not restrict images
produced with the font; this model and its samples are not a font and do not
contain the font software.

## Reproduce

```sh
# class mapping (needs the ImageNet names: npm pack @tensorflow-models/mobilenet, untar in /tmp)
python3 tools/builtin/build_classes.py --names /tmp/package/dist/imagenet_classes.js
python3 tools/builtin/make_dataset.py                 # tools/data/emoji32.npz (+ preview)
python3 tools/builtin/check_reference.py              # model/sampler vs reference fixtures
nohup nice -n 19 python3 tools/builtin/train.py --minutes 100 > tools/runs/builtin/train.log 2>&1 &
# (resumes from tools/runs/builtin/ckpt.pt; run again to train longer)
sh tools/builtin/refresh.sh                           # export + loss.png + samples.png + this card
```
"""
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(card)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
