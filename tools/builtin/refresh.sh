#!/bin/sh
# Re-export the built-in model from the latest training checkpoint, measure it and
# regenerate the model card with its figures. Safe to run while training continues
# (the trainer replaces ckpt.pt atomically). Every step runs niced on one thread.
#   NOTE="status line for the card" sh tools/builtin/refresh.sh
# Steps: export (public/models/builtin/dit-builtin.safetensors, config.json, classes.json)
#   -> loss.png -> samples.png -> eval_builtin.py on the exported weights, one line appended to
#   tools/builtin/resume/metrics.jsonl (~2 min) -> MODEL_CARD.md (with the metrics table).
# Then measure the exported weights through the engine (WebGPU in headless Chromium, 11-14 min on
# SwiftShader; tests/gpu/builtin-metrics.test.ts fails until this is redone for new weights) and
# render the card again with those figures:
#   npm run builtin:metrics && /usr/bin/python3 tools/builtin/model_card.py --note "..."
set -e
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
nice -n 19 $PY tools/builtin/export.py
nice -n 19 $PY tools/builtin/plot_loss.py
# samples and metrics come from the exported float16 file, i.e. exactly what ships
nice -n 19 $PY tools/builtin/sample.py --seeds 4 --cfg 1,4 --out public/models/builtin/samples.png
nice -n 19 $PY tools/builtin/metrics_history.py
nice -n 19 $PY tools/builtin/model_card.py --note "${NOTE:-}"
