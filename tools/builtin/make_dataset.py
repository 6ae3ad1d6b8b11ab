#!/usr/bin/env python3
"""Render the emoji of tools/builtin/emoji_classes.json, in several designs, into a small data set.

Designs (each licence allows training on it and shipping the weights; see the model card):
  noto          Noto Color Emoji, Debian fonts-noto-color-emoji (SIL OFL 1.1); PIL draws the CBDT
                bitmap font at its native strike size 109 with embedded_color
  twemoji       Twemoji graphics (CC BY 4.0), SVG from npm @iconify-json/twemoji
  fluent-flat   Microsoft Fluent Emoji, flat (MIT), npm @iconify-json/fluent-emoji-flat
  fluent-color  Microsoft Fluent Emoji, colour (MIT), npm @iconify-json/fluent-emoji
The SVGs come from tools/builtin/node_modules (`npm ci --prefix tools/builtin`) and are
rasterised by librsvg (Debian librsvg2-bin, `rsvg-convert`) at 256 px.

Every glyph is cropped to its alpha bounding box, alpha-composited onto white and resized
(Lanczos, antialiased, from 8x supersampling) to RES x RES. Per class and design: one canonical
rendering (object centred, longest side = 88% of the frame) and VARIANTS-1 mildly augmented ones
(scale 0.74..0.96, shift up to +-2 px at the output resolution). No flips: several emoji carry
text or a handedness that a mirror would break.

All designs go into one file; the trainer picks its designs (--designs) and the evaluation
holds the others out. Output tools/data/emoji32.npz:
  images uint8 (N, RES, RES, 3)   labels int64 (N,) ImageNet class ids
  design int64 (N,) index into design_names   canonical int64 (N,) 1 for the canonical rendering
  design_names str (D,)
and a preview (tools/data/emoji32_preview.png: one row of canonical renderings per design).

  python3 tools/builtin/make_dataset.py [--res 32] [--variants 16]
"""
import argparse, io, json, os, re, subprocess
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
ICONIFY = os.path.join(HERE, "node_modules", "@iconify-json")
DESIGNS = ["noto", "twemoji", "fluent-flat", "fluent-color"]
SVG_PX = 256


def crop_alpha(im):
    bbox = im.getchannel("A").getbbox()
    assert bbox is not None, "empty glyph"
    return im.crop(bbox)


def noto_glyphs(classes):
    font = ImageFont.truetype(FONT, 109)
    out = []
    for c in classes:
        im = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
        ImageDraw.Draw(im).text((8, 8), c["emoji"], font=font, embedded_color=True)
        out.append(crop_alpha(im))
    return out


def iconify_names(classes, chars):
    """Iconify's chars.json keys are lower-case hex code points joined by '-', sometimes
    without the variation selector fe0f; try the spellings in order."""
    names = []
    for c in classes:
        cps = [f"{ord(ch):x}" for ch in c["emoji"]]
        keys = ["-".join(cps), "-".join(x for x in cps if x != "fe0f"), "-".join(cps + ["fe0f"])]
        key = next((k for k in keys if k in chars), None)
        if key is None:
            raise SystemExit(f"no icon for {c['emoji']} ({c['imagenet_name'].split(',')[0]})")
        names.append(chars[key])
    return names


def svg_of(icons, name):
    aliases = icons.get("aliases", {})
    while name not in icons["icons"]:
        name = aliases[name]["parent"]
    icon = icons["icons"][name]
    left, top = icon.get("left", icons.get("left", 0)), icon.get("top", icons.get("top", 0))
    w, h = icon.get("width", icons.get("width", 16)), icon.get("height", icons.get("height", 16))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{SVG_PX}" height="{SVG_PX}" viewBox="{left} {top} {w} {h}">{icon["body"]}</svg>')


def rasterise(svg):
    run = lambda s: subprocess.run(["rsvg-convert", "--format=png"], input=s.encode(), capture_output=True)  # noqa: E731
    r = run(svg)
    if r.returncode != 0:
        # librsvg 2.54 gives up ("NoMemory") on a gradient whose transform is singular
        # (Fluent colour umbrella: skewY(-90), a faint highlight): drop such skews.
        r = run(re.sub(r"skew[XY]\(-?90\)", "", svg))
    if r.returncode != 0:
        raise SystemExit(f"rsvg-convert failed: {r.stderr.decode().strip()}")
    return crop_alpha(Image.open(io.BytesIO(r.stdout)).convert("RGBA"))


def iconify_glyphs(classes, design):
    # The colour Fluent set has no chars.json of its own; its icon names are the flat set's.
    pkg = {"twemoji": "twemoji", "fluent-flat": "fluent-emoji-flat", "fluent-color": "fluent-emoji"}[design]
    chars_pkg = "fluent-emoji-flat" if design == "fluent-color" else pkg
    chars = json.load(open(os.path.join(ICONIFY, chars_pkg, "chars.json")))
    icons = json.load(open(os.path.join(ICONIFY, pkg, "icons.json")))
    return [rasterise(svg_of(icons, n)) for n in iconify_names(classes, chars)]


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
    if not os.path.isdir(ICONIFY):
        raise SystemExit(f"{ICONIFY} missing: run `npm ci --prefix tools/builtin` first")
    rng = np.random.default_rng(args.seed)
    images, labels, design, canon = [], [], [], []
    for di, name in enumerate(DESIGNS):
        glyphs = noto_glyphs(classes) if name == "noto" else iconify_glyphs(classes, name)
        for c, glyph in zip(classes, glyphs):
            for v in range(args.variants):
                if v == 0:
                    scale, dx, dy = 0.88, 0.0, 0.0
                else:
                    scale = rng.uniform(0.74, 0.96)
                    dx, dy = rng.uniform(-2.0, 2.0, size=2)
                images.append(np.asarray(place(glyph, args.res, scale, dx, dy)))
                labels.append(c["class_id"])
                design.append(di)
                canon.append(1 if v == 0 else 0)
        print(f"{name}: {len(classes)} glyphs", flush=True)
    images = np.stack(images).astype(np.uint8)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=np.array(labels, np.int64),
                        design=np.array(design, np.int64), canonical=np.array(canon, np.int64),
                        design_names=np.array(DESIGNS))
    print(f"{len(classes)} classes x {len(DESIGNS)} designs x {args.variants} variants -> {images.shape} in {args.out}")

    # preview: the canonical renderings, one row per design (first 40 classes), 2x upscaled
    r, cols = args.res, min(40, len(classes))
    grid = np.full((len(DESIGNS) * (r + 2), cols * (r + 2), 3), 255, np.uint8)
    canon = np.array(canon) == 1
    for di in range(len(DESIGNS)):
        can = images[canon & (np.array(design) == di)][:cols]
        for i, im in enumerate(can):
            grid[di * (r + 2):di * (r + 2) + r, i * (r + 2):i * (r + 2) + r] = im
    prev = os.path.splitext(args.out)[0] + "_preview.png"
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(prev)
    print("preview:", prev)


if __name__ == "__main__":
    main()
