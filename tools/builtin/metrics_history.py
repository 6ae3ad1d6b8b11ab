#!/usr/bin/env python3
"""Append the issue-13 metrics of the exported built-in model to its history file.

Runs tools/builtin/eval_builtin.py on the exported weights (public/models/builtin/, or --weights)
and writes one compact JSON line to tools/builtin/resume/metrics.jsonl: the training step and
minutes from the safetensors metadata (export.py writes train_steps / train_minutes), the date,
the training recipe in force at that step (from the checkpoint's log: designs, min-SNR gamma,
lr, batch; log records before step 6 731 lack those fields and mean Noto only, no min-SNR),
and per guidance scale (g4, g1) only the summary figures of eval_builtin.py, no per-picture arrays:
  std_lt_10 / no_object / n   empty frames: pictures with pixel std < 10, without a visible object
  min_std                     the smallest pixel std (0..255)
  top1 / top5 / rank          own class nearest / in the 5 nearest / mean rank (0 = nearest; 136
                              classes) against the renderings of the trained designs
  ho_top1 / ho_top5 / ho_rank the same against the held-out twemoji renderings
  within / between / ratio    variety: mean 8x8-pooled L2 distance between the two seeds of a
                              class / between classes with the same seed; ratio = between/within
A line for a step that is already in the file replaces it (the file stays sorted by step).
The model card (model_card.py) renders the file as its "Metrics over training" table.

  python3 tools/builtin/metrics_history.py                    # eval (~2 min, 1 thread) + append
  python3 tools/builtin/metrics_history.py --eval-json /tmp/m.json   # reuse an eval_builtin --json result
  python3 tools/builtin/metrics_history.py --out /tmp/metrics.jsonl --print
"""
import argparse, datetime, hashlib, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import st  # noqa: E402

MODEL_DIR = os.path.join(ROOT, "public", "models", "builtin")
HISTORY = os.path.join(HERE, "resume", "metrics.jsonl")


def summary(g):
    e, r, h, v = g["empty"], g["recognition"], g["held_out"], g["variety"]
    return {"std_lt_10": e["n_std_lt_10"], "no_object": e["n_no_object"], "n": e["n"],
            "min_std": round(e["min_std"], 1),
            "top1": round(r["top1"], 3), "top5": round(r["top5"], 3), "rank": round(r["mean_rank"], 2),
            "ho_top1": round(h["top1"], 3), "ho_top5": round(h["top5"], 3), "ho_rank": round(h["mean_rank"], 2),
            "within": round(v["within"], 3), "between": round(v["between"], 3),
            "ratio": round(v["between_over_within"], 2)}


def recipe_at(ckpt_path, step):
    """Training recipe of the last log record at or before `step` (None without a checkpoint)."""
    if not ckpt_path or not os.path.exists(ckpt_path):
        return None
    import torch
    log = [r for r in torch.load(ckpt_path, map_location="cpu")["log"] if r["step"] <= step]
    if not log:
        return None
    r = log[-1]
    return {"designs": r.get("designs", "noto"), "min_snr_gamma": r.get("min_snr_gamma", 0),
            "lr": r["lr"], "batch": r.get("batch", 64)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(MODEL_DIR, "dit-builtin.safetensors"))
    ap.add_argument("--config", default=os.path.join(MODEL_DIR, "config.json"))
    ap.add_argument("--ckpt", default=os.path.join(ROOT, "tools", "runs", "builtin", "ckpt.pt"),
                    help="training checkpoint whose log gives the recipe at the exported step")
    ap.add_argument("--eval-json", default=None, help="use this eval_builtin.py --json output instead of running it")
    ap.add_argument("--out", default=HISTORY)
    ap.add_argument("--print", action="store_true", help="print the history file afterwards")
    args = ap.parse_args()

    _, meta = st.load(args.weights)
    step, minutes = int(meta.get("train_steps", 0)), float(meta.get("train_minutes", 0))
    with open(args.weights, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:12]

    if args.eval_json:
        res = json.load(open(args.eval_json))
    else:
        fd, tmp = tempfile.mkstemp(suffix=".json", prefix="eval_builtin_")
        os.close(fd)
        try:
            subprocess.run([sys.executable, os.path.join(HERE, "eval_builtin.py"), "--weights", args.weights,
                            "--config", args.config, "--json", tmp], check=True)
            res = json.load(open(tmp))
        finally:
            os.unlink(tmp)
    if not str(res.get("source", "")).endswith(".safetensors"):
        sys.exit(f"{args.eval_json}: evaluated {res.get('source')}, not exported weights")

    line = {"step": step, "minutes": round(minutes, 1),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), "sha256": sha}
    line.update(recipe_at(args.ckpt, step) or {})
    line["eval"] = f"{len(res['classes'])} classes x {len(res['seeds'])} seeds, {res['sampler']}"
    line["g4"] = summary(res["guidance"]["4"])
    line["g1"] = summary(res["guidance"]["1"])

    rows = []
    if os.path.exists(args.out):
        rows = [json.loads(s) for s in open(args.out) if s.strip()]
    rows = sorted([r for r in rows if r["step"] != step] + [line], key=lambda r: r["step"])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(rows)} line(s); step {step}:", json.dumps(line, ensure_ascii=False))
    if args.print:
        print(open(args.out).read(), end="")


if __name__ == "__main__":
    main()
