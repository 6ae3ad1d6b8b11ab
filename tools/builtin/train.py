#!/usr/bin/env python3
"""Train the built-in pixel-space DiT on the rendered emoji set (CPU, 1 thread).

Model: tools/builtin/dit.py (official DiT models.py, official key names).
Data: tools/data/emoji32.npz (make_dataset.py), the designs named by --designs; the others are
held out for evaluation (eval_builtin.py).
Loss: IDDPM training_losses with LossType.MSE + LEARNED_RANGE (mse on eps + VLB
term on the variance with the mean detached), uniform t in [0, 1000), the eps MSE weighted by
min-SNR-gamma (--min-snr-gamma, 5 as in Hang et al. 2023; 0 turns it off).
Optimiser: AdamW (weight_decay 0 as in DiT), constant lr after a short warmup, optionally a
linear anneal to --lr-end between two global steps (--decay-from, --decay-to);
EMA of the weights (the EMA is what export.py writes).

Resumable: every --ckpt-every minutes (and on exit / SIGTERM / SIGINT) the
model, EMA, optimiser, step, RNG state and loss log are saved atomically to
<run>/ckpt.pt; starting again with the same --run resumes from it. --minutes
bounds the wall time of this invocation.

  nohup nice -n 19 /usr/bin/python3 tools/builtin/train.py --minutes 100 \
      > tools/runs/builtin/train.log 2>&1 &
"""
import argparse, json, os, signal, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from dit import DiT, GaussianDiffusion  # noqa: E402



def model_config(a):
    return dict(input_size=a.res, patch_size=a.patch, in_channels=3, hidden_size=a.hidden, depth=a.depth,
                num_heads=a.heads, num_classes=1000, learn_sigma=True, class_dropout_prob=0.1)


def build_model(cfg):
    return DiT(input_size=cfg["input_size"], patch_size=cfg["patch_size"], in_channels=cfg["in_channels"],
               hidden_size=cfg["hidden_size"], depth=cfg["depth"], num_heads=cfg["num_heads"],
               num_classes=cfg["num_classes"], learn_sigma=cfg["learn_sigma"],
               class_dropout_prob=cfg["class_dropout_prob"])


@torch.no_grad()
def update_ema(ema, model, decay):
    ema_p = dict(ema.named_parameters())
    for name, p in model.named_parameters():
        ema_p[name].mul_(decay).add_(p.detach(), alpha=1 - decay)


def save_ckpt(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def learning_rate(args, step):
    """Warmup, then constant, then (with --decay-from/--decay-to) a linear anneal to --lr-end: a
    function of the global step only, so a resumed run continues the same curve."""
    lr = args.lr * min(1.0, (step + 1) / max(1, args.warmup))
    if args.decay_to > args.decay_from > 0 and step >= args.decay_from:
        f = min(1.0, (step - args.decay_from) / (args.decay_to - args.decay_from))
        lr = args.lr + f * (args.lr_end - args.lr)
    return lr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "emoji32.npz"))
    ap.add_argument("--run", default=os.path.join(ROOT, "tools", "runs", "builtin"))
    ap.add_argument("--res", type=int, default=32)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=int, default=200, help="linear lr warmup steps")
    ap.add_argument("--decay-from", type=int, default=0,
                    help="global step where a linear lr anneal starts (0: constant lr)")
    ap.add_argument("--decay-to", type=int, default=0, help="global step where the anneal reaches --lr-end")
    ap.add_argument("--lr-end", type=float, default=1e-4, help="lr at and after --decay-to")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--minutes", type=float, default=90.0, help="wall-time budget of this invocation")
    ap.add_argument("--max-steps", type=int, default=0, help="stop at this global step (0: no limit)")
    ap.add_argument("--ckpt-every", type=float, default=3.0, help="minutes between checkpoints")
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--designs", default="noto,fluent-flat,fluent-color",
                    help="designs trained on; the rest of the data set is held out")
    ap.add_argument("--min-snr-gamma", type=float, default=5.0)
    ap.add_argument("--label-lr-mult", type=float, default=1.0,
                    help="learning-rate multiplier of the label table: its rows are updated only when their class is "
                         "drawn, and stay tiny next to the timestep embedding (norm ~1 vs 20-70 at step 8 000)")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads; 2 under nice 19 soaks up idle cores without starving other work")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    os.makedirs(args.run, exist_ok=True)
    ckpt_path = os.path.join(args.run, "ckpt.pt")

    d = np.load(args.data)
    names = [str(x) for x in d["design_names"]]
    want = args.designs.split(",")
    unknown = [w for w in want if w not in names]
    if unknown:
        sys.exit(f"unknown design(s) {unknown}; the data set has {names}")
    keep = np.isin(d["design"], [names.index(w) for w in want])
    images = torch.from_numpy(d["images"][keep]).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)  # [-1, 1]
    labels = torch.from_numpy(d["labels"][keep]).long()
    n = len(labels)
    print(f"data: {n} images of {want}, {len(torch.unique(labels))} classes, {tuple(images.shape[1:])}", flush=True)

    cfg = model_config(args)
    torch.manual_seed(args.seed)
    model = build_model(cfg)
    ema = build_model(cfg)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    ema.eval()
    table = model.y_embedder.embedding_table.weight
    others = [p for p in model.parameters() if p is not table]

    def make_opt(groups):
        return torch.optim.AdamW(groups, lr=args.lr, weight_decay=0)
    opt = make_opt([{"params": others, "lr_mult": 1.0}, {"params": [table], "lr_mult": args.label_lr_mult}])
    diffusion = GaussianDiffusion.respaced(1000)
    step, train_seconds, log = 0, 0.0, []

    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        if ck["config"] != cfg:
            sys.exit(f"checkpoint config {ck['config']} != requested {cfg}; use another --run")
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        if len(ck["opt"]["param_groups"]) == len(opt.param_groups):
            opt.load_state_dict(ck["opt"])
            for g, m in zip(opt.param_groups, [1.0, args.label_lr_mult]):
                g["lr_mult"] = m
        else:
            # A checkpoint from before the label table had its own group: carry each parameter's
            # Adam moments over by identity.
            old = make_opt(list(model.parameters()))
            old.load_state_dict(ck["opt"])
            for p in model.parameters():
                if p in old.state:
                    opt.state[p] = old.state[p]
        step, train_seconds, log = ck["step"], ck["train_seconds"], ck["log"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {ckpt_path} at step {step} ({train_seconds / 60:.1f} min trained)", flush=True)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"model {cfg} params {nparams:,} ({sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable)",
          flush=True)

    def state():
        return dict(config=cfg, model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                    step=step, train_seconds=train_seconds, log=log, torch_rng=torch.get_rng_state(),
                    args=vars(args), params=nparams)

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        print(f"signal {signum}: stopping after this step", flush=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    model.train()
    t_start = time.time()
    t_last_ckpt = t_start
    t_seg = t_start
    acc = {"loss": 0.0, "mse": 0.0, "vb": 0.0, "n": 0}
    while not stop["flag"]:
        if time.time() - t_start > args.minutes * 60:
            break
        if args.max_steps and step >= args.max_steps:
            break
        idx = torch.randint(0, n, (args.batch,))
        x, y = images[idx], labels[idx]
        t = torch.randint(0, diffusion.num_timesteps, (args.batch,))
        lr = learning_rate(args, step)
        for g in opt.param_groups:
            g["lr"] = lr * g["lr_mult"]
        terms = diffusion.training_losses(model, x, t, dict(y=y), min_snr_gamma=args.min_snr_gamma)
        loss = terms["loss"].mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        decay = min(args.ema, (1 + step) / (10 + step))
        update_ema(ema, model, decay)
        acc["loss"] += loss.item(); acc["mse"] += terms["mse"].mean().item(); acc["vb"] += terms["vb"].mean().item()
        acc["n"] += 1

        now = time.time()
        if step % args.log_every == 0:
            train_seconds += now - t_seg
            t_seg = now
            k = acc["n"]
            rec = dict(step=step, minutes=round(train_seconds / 60, 3), loss=acc["loss"] / k, mse=acc["mse"] / k,
                       vb=acc["vb"] / k, lr=lr, batch=args.batch, designs=args.designs,
                       min_snr_gamma=args.min_snr_gamma, label_lr_mult=args.label_lr_mult)
            log.append(rec)
            ips = k * args.batch / max(1e-9, rec["minutes"] * 60 - (log[-2]["minutes"] * 60 if len(log) > 1 else 0))
            print(f"step {step:6d}  {rec['minutes']:7.1f} min  loss {rec['loss']:.4f}  mse {rec['mse']:.4f}  "
                  f"vb {rec['vb']:.4f}  lr {lr:.2e}  {ips:.0f} img/s", flush=True)
            acc = {"loss": 0.0, "mse": 0.0, "vb": 0.0, "n": 0}
        if now - t_last_ckpt > args.ckpt_every * 60:
            train_seconds += now - t_seg
            t_seg = now
            save_ckpt(ckpt_path, state())
            t_last_ckpt = now
            print(f"checkpoint step {step} -> {ckpt_path}", flush=True)

    train_seconds += time.time() - t_seg
    save_ckpt(ckpt_path, state())
    print(f"done: step {step}, {train_seconds / 60:.1f} min trained in total; checkpoint {ckpt_path}", flush=True)


if __name__ == "__main__":
    main()
