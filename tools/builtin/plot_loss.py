#!/usr/bin/env python3
"""Plot the training loss log of a checkpoint to a PNG (PIL only; no matplotlib
on the build machine). Log-scale y axis; raw per-interval means (light) and a
smoothed curve (dark) for the total loss, plus the smoothed mse and vb terms.
Dashed vertical lines mark recipe changes (lr, designs, min-SNR gamma) found in the log:
from step 6 731 the total loss weights the eps MSE by min-SNR-gamma, so it drops there
while the plotted (unweighted) mse stays comparable.

  python3 tools/builtin/plot_loss.py [--ckpt tools/runs/builtin/ckpt.pt] [--out public/models/builtin/loss.png]
"""
import argparse, math, os
import torch
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def smooth(v, a=0.9):
    out, m = [], None
    for x in v:
        m = x if m is None else a * m + (1 - a) * x
        out.append(m)
    return out


def recipe_changes(log):
    """(step, label) where the lr (not during warmup: only after a plateau), the designs or the
    min-SNR gamma change. Log records from before those fields existed mean Noto only, no min-SNR."""
    key = lambda r: (r.get("designs", "noto"), r.get("min_snr_gamma", 0))  # noqa: E731
    out = []
    for i in range(2, len(log)):
        a, b, c = log[i - 2], log[i - 1], log[i]
        parts = []
        if c["lr"] != b["lr"] and a["lr"] == b["lr"]:
            parts.append(f"lr {c['lr']:g}")
        if key(c) != key(b):
            parts.append(f"{len(key(c)[0].split(','))} design(s)")
            if key(c)[1] != key(b)[1]:
                parts.append(f"min-SNR {key(c)[1]:g}" if key(c)[1] else "no min-SNR")
        if parts:
            out.append((b["step"], ", ".join(parts)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, "tools", "runs", "builtin", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "builtin", "loss.png"))
    args = ap.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    log = ck["log"]
    steps = [r["step"] for r in log]
    series = [("loss (weighted mse + vb)", [r["loss"] for r in log], (40, 80, 200)),
              ("mse", [r["mse"] for r in log], (220, 120, 20)),
              ("vb", [r["vb"] for r in log], (30, 150, 60))]

    W, H, L, R, T, B = 760, 420, 70, 20, 40, 50
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    vals = [v for _, s, _ in series for v in s if v > 0]
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    x_max = max(steps) if steps else 1
    px = lambda s: L + (W - L - R) * s / x_max  # noqa: E731
    py = lambda v: T + (H - T - B) * (1 - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))  # noqa: E731
    d.rectangle([L, T, W - R, H - B], outline="black")
    e = lo
    while e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = e * m
            if lo <= v <= hi:
                y = py(v)
                d.line([L, y, W - R, y], fill=(225, 225, 225) if m > 1 else (190, 190, 190))
                d.text((L - 45, y - 6), f"{v:g}", fill="black", font=font)
        e *= 10
    nt = 5
    for i in range(nt + 1):
        s = x_max * i / nt
        d.line([px(s), H - B, px(s), H - B + 4], fill="black")
        d.text((px(s) - 12, H - B + 8), f"{int(s)}", fill="black", font=font)
    d.text((W // 2 - 20, H - 20), "step", fill="black", font=font)
    d.text((L, 12), f"DiT built-in: training loss (log scale), {ck['step']} steps, "
                    f"{ck['train_seconds'] / 60:.0f} min on CPU", fill="black", font=font)
    changes = recipe_changes(log)
    for k, (s, label) in enumerate(changes):
        x = px(s)
        for y in range(T, H - B, 6):
            d.line([x, y, x, min(y + 3, H - B)], fill=(120, 120, 120))
        tw = d.textlength(label, font=font)
        d.text((x + 3 if x + 3 + tw < W - R else x - 3 - tw, H - B - 14 - 12 * (k % 2)), label,
               fill=(90, 90, 90), font=font)
    for i, (name, s, col) in enumerate(series):
        if i == 0:
            light = tuple(int(c + (255 - c) * 0.65) for c in col)
            d.line([(px(a), py(b)) for a, b in zip(steps, s)], fill=light, width=1)
        sm = smooth(s)
        d.line([(px(a), py(b)) for a, b in zip(steps, sm)], fill=col, width=2)
        d.rectangle([W - R - 175, T + 10 + 16 * i, W - R - 163, T + 20 + 16 * i], fill=col)
        d.text((W - R - 157, T + 9 + 16 * i), name, fill="black", font=font)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    img.save(args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
