#!/usr/bin/env python3
"""Render the emoji of tools/builtin/emoji_classes.json into a small training set.

Each emoji is drawn with PIL from Noto Color Emoji (a CBDT bitmap font, so it
must be loaded at its native strike size 109 and drawn with embedded_color),
cropped to its alpha bounding box, alpha-composited onto white and resized
(Lanczos, antialiased) to RES x RES. Besides the canonical rendering (object
centred, longest side = 88% of the frame) we store VARIANTS-1 mildly augmented
renderings per class (scale 0.78..0.96, shift up to +-1.5 px at the output
resolution). No flips: several emoji carry text or a handedness that a mirror
would break, and a single orientation makes the classes easier to learn.

Output: tools/data/emoji32.npz with
  images  uint8 (N, RES, RES, 3)    labels int64 (N,) ImageNet class ids
  canonical int64 (N,) 1 for the canonical rendering of a class
and a preview grid PNG (tools/data/emoji32_preview.png).

  python3 tools/builtin/make_dataset.py [--res 32] [--variants 16]
"""
import argparse, json, os
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def render_rgba(font, emoji):
    im = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((8, 8), emoji, font=font, embedded_color=True)
    bbox = im.getchannel("A").getbbox()
    assert bbox is not None, f"empty glyph for {emoji!r}"
    return im.crop(bbox)


def place(glyph, res, scale, dx, dy, ss=8):
    """Put the glyph (longest side = scale * frame) on a white frame at ss*res
    resolution, shifted by (dx, dy) output pixels, then downsample to res."""
    big = res * ss
    w, h = glyph.size
    k = scale * big / max(w, h)
    g = glyph.resize((max(1, round(w * k)), max(1, round(h * k))), Image.LANCZOS)
    canvas = Image.new("RGBA", (big, big), (255, 255, 255, 255))
    x = round((big - g.width) / 2 + dx * ss)
    y = round((big - g.height) / 2 + dy * ss)
    layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    layer.paste(g, (x, y))
    canvas.alpha_composite(layer)
    return canvas.convert("RGB").resize((res, res), Image.LANCZOS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", default=os.path.join(HERE, "emoji_classes.json"))
    ap.add_argument("--res", type=int, default=32)
    ap.add_argument("--variants", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    args = ap.parse_args()

    classes = json.load(open(args.classes, encoding="utf-8"))
    font = ImageFont.truetype(FONT, 109)
    rng = np.random.default_rng(args.seed)
    images, labels, canon = [], [], []
    for c in classes:
        glyph = render_rgba(font, c["emoji"])
        for v in range(args.variants):
            if v == 0:
                scale, dx, dy = 0.88, 0.0, 0.0
            else:
                scale = rng.uniform(0.78, 0.96)
                dx, dy = rng.uniform(-1.5, 1.5, size=2)
            images.append(np.asarray(place(glyph, args.res, scale, dx, dy)))
            labels.append(c["class_id"])
            canon.append(1 if v == 0 else 0)
    images = np.stack(images).astype(np.uint8)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=np.array(labels, np.int64),
                        canonical=np.array(canon, np.int64))
    print(f"{len(classes)} classes x {args.variants} variants -> {images.shape} in {args.out}")

    # preview: canonical rendering of every class, 16 per row, 2x upscaled
    can = images[np.array(canon) == 1]
    cols = 16
    rows = (len(can) + cols - 1) // cols
    r = args.res
    grid = np.full((rows * (r + 2), cols * (r + 2), 3), 255, np.uint8)
    for i, im in enumerate(can):
        y, x = (i // cols) * (r + 2), (i % cols) * (r + 2)
        grid[y:y + r, x:x + r] = im
    prev = os.path.splitext(args.out)[0] + "_preview.png"
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(prev)
    print("preview:", prev)


if __name__ == "__main__":
    main()
