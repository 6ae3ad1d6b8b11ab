"""The canonical 32x32 render of every built-in class (the un-augmented data set image), for
the recognisability test: tests/fixtures/builtin/emoji-refs.safetensors with `images` U8
(N, 32, 32, 3) and `class_ids` I32 (N,). Run make_dataset.py first.

/usr/bin/python3 tools/builtin/export_test_refs.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
data = np.load(os.path.join(ROOT, "tools", "data", "emoji32.npz"))
# The Noto design only: the test compares with the design every export has trained on (the held-out
# Twemoji renderings never enter the repository).
noto = list(data["design_names"]).index("noto") if "design_names" in data else None
keep = data["canonical"].astype(bool) & ((data["design"] == noto) if noto is not None else True)
images, labels = data["images"][keep], data["labels"][keep]
order = np.argsort(labels)
out = os.path.join(ROOT, "tests", "fixtures", "builtin", "emoji-refs.safetensors")
os.makedirs(os.path.dirname(out), exist_ok=True)
st.save(out, {"images": images[order].astype(np.uint8), "class_ids": labels[order].astype(np.int32)},
        {"source": "Noto Color Emoji (SIL OFL 1.1), rendered by tools/builtin/make_dataset.py"})
print(out, images.shape, len(np.unique(labels)))
