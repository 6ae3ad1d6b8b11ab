#!/bin/sh
# Re-export the built-in model from the latest training checkpoint and
# regenerate the model card's figures. Safe to run while training continues
# (the trainer replaces ckpt.pt atomically). Runs niced on one thread.
#   sh tools/builtin/refresh.sh
set -e
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
nice -n 19 $PY tools/builtin/export.py
nice -n 19 $PY tools/builtin/plot_loss.py
# samples come from the exported float16 file, i.e. exactly what ships
nice -n 19 $PY tools/builtin/sample.py --seeds 4 --cfg 1,4 --out public/models/builtin/samples.png
nice -n 19 $PY tools/builtin/model_card.py --note "${NOTE:-}"
