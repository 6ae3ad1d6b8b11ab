#!/usr/bin/env python3
"""Fixtures for measuring the built-in model through the engine (tests/support/builtin-metrics.ts),
exactly as eval_builtin.py measures it in Python. Run make_dataset.py first.

tests/fixtures/builtin/emoji-templates.safetensors: every rendering of the data set (all four
designs, 16 variants per class), 8x8-pooled: `block_sums` I16 (N, 8, 8, 3), the sums of the
4x4 pixel blocks (0..4080: exact, pooled = sum / 16 / 255 as eval_builtin.pooled), `class_ids`
I32 (N,), `design` U8 (N,) indexing the metadata's `design_names` (JSON), `held_out` the design
never trained on.

tests/fixtures/builtin/metrics-golden.safetensors: 48 synthetic pictures (`images` U8 (48, 32, 32, 3),
`labels` I32: eval_builtin's 24 classes x 2, class-major; noisy blends of trained-design renderings,
one near-white frame) and, in the metadata, `classes` and `expected`: eval_builtin.picture_metrics
of those pictures, the figures the TypeScript measurement must reproduce.

/usr/bin/python3 tools/builtin/export_templates.py
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st  # noqa: E402
from eval_builtin import HELD_OUT, SEEDS, picture_metrics, reference_sets  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "fixtures", "builtin")
SOURCE = ("tools/data/emoji32.npz (make_dataset.py): Noto Color Emoji (SIL OFL 1.1), Microsoft Fluent Emoji "
          "flat and colour (MIT), Twemoji (CC BY 4.0, (c) Twitter, Inc. / X Corp. and contributors)")


def block_sums(images, pool=4):
    n, h, w, c = images.shape
    return images.reshape(n, h // pool, pool, w // pool, pool, c).astype(np.int32).sum(axis=(2, 4))


def golden_pictures(d, classes, rng):
    """Per class and seed: a trained-design rendering of the class blended with one of another
    class (weight 0.1-0.7) plus Gaussian noise, so that ranks spread; picture 5 is near-white."""
    trained_rows = np.flatnonzero(d["design"] != list(d["design_names"]).index(HELD_OUT))
    labels = d["labels"][trained_rows]
    pics = []
    for c in classes:
        for _ in SEEDS:
            own = d["images"][rng.choice(trained_rows[labels == c])].astype(np.float64)
            other = d["images"][rng.choice(trained_rows[labels != c])].astype(np.float64)
            w = rng.uniform(0.1, 0.7)
            pics.append((1 - w) * own + w * other + rng.normal(0, 25, own.shape))
    pics[5] = 250 + rng.normal(0, 3, pics[5].shape)
    return np.clip(np.round(pics), 0, 255).astype(np.uint8)


def main():
    d = np.load(os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    names = [str(n) for n in d["design_names"]]
    sums = block_sums(d["images"])
    assert sums.max() <= 16 * 255
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "emoji-templates.safetensors")
    st.save(path, {"block_sums": sums.astype(np.int16), "class_ids": d["labels"].astype(np.int32),
                   "design": d["design"].astype(np.uint8)},
            {"design_names": json.dumps(names), "held_out": HELD_OUT, "pool": "4", "source": SOURCE})
    print(path, sums.shape, os.path.getsize(path), "bytes")

    trained, classes, refs, ref_labels, held_refs, held_labels = reference_sets(d)
    im = golden_pictures(d, classes, np.random.default_rng(13))
    labels = [c for c in classes for _ in SEEDS]
    expected = picture_metrics(im, labels, len(SEEDS), refs, ref_labels, held_refs, held_labels, trained)
    path = os.path.join(OUT, "metrics-golden.safetensors")
    st.save(path, {"images": im, "labels": np.array(labels, dtype=np.int32)},
            {"classes": json.dumps(classes), "expected": json.dumps(expected), "source": SOURCE})
    r, h, v = expected["recognition"], expected["held_out"], expected["variety"]
    print(path, f"top-1 {r['top1']:.3f} top-5 {r['top5']:.3f}, held out {h['top1']:.3f} / {h['top5']:.3f}, "
          f"between/within {v['between_over_within']:.2f}, no object {expected['empty']['n_no_object']}")


if __name__ == "__main__":
    main()
