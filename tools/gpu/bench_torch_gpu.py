#!/usr/bin/env python3
"""PyTorch beside `pnpm bench:gpu` (tools/gpu/bench-runner.ts), on the same device in the same run:
torch.matmul TFLOP/s (cuBLAS, the anchor for our GEMM) and training tokens/s of a GPT-NeoX layout
model at the shapes the runner hands over.

    python3 tools/gpu/bench_torch_gpu.py --spec '{"device": "cuda", "gemm": [...], "train": [...],
        "steps": 5, "warmup": 2}'

gemm: [{"name", "M", "N", "K"}]: C = A·B timed in bf16 (bf16 out) and fp32 (TF32 off, PyTorch's
default and what our fp32 GEMM does), 2 warm-ups then the mean of enough products to fill ~0.2 s.
train: [{"name", "layers", "d", "heads", "seq", "batch", "vocab", "rotary_pct", "gelu"}]: the
GPT-NeoX layout (parallel residual, LayerNorm, rotary on the first rotary_pct of each head, biased
linears, untied output head), fp32 weights under bf16 autocast, causal attention through
scaled_dot_product_attention (flash on a GPU), global-norm clipping to 1.0 and torch.optim.AdamW with
its default (foreach) implementation: PyTorch eager as a user writes it. Each step is timed between
device synchronisations; the median after the warm-ups is reported. Prints one JSON line.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_gemm(shape, dtype, device):
    m, n, k = shape["M"], shape["N"], shape["K"]
    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(m, k, device=device, generator=gen).to(dtype)
    b = torch.randn(k, n, device=device, generator=gen).to(dtype)
    for _ in range(2):
        torch.matmul(a, b)
    sync(device)
    t0 = time.perf_counter()
    torch.matmul(a, b)
    sync(device)
    once = max(time.perf_counter() - t0, 1e-6)
    reps = max(1, min(200, int(0.2 / once)))
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.matmul(a, b)
    sync(device)
    dt = (time.perf_counter() - t0) / reps
    return 2 * m * n * k / dt / 1e12


def rotate(x, cos, sin):
    """GPT-NeoX's rotary on the first 2·cos.shape[-1] channels of each head (rotate_half form)."""
    r = cos.shape[-1] * 2
    xr, xp = x[..., :r], x[..., r:]
    x1, x2 = xr.chunk(2, dim=-1)
    c = torch.cat([cos, cos], dim=-1)
    s = torch.cat([sin, sin], dim=-1)
    return torch.cat([xr * c + torch.cat([-x2, x1], dim=-1) * s, xp], dim=-1)


def causal_attention(q, k, v):
    """softmax(q·kᵀ/√HS + causal mask)·v, for PyTorch before 2.0 (Debian's CPU build, for --cpu-only)."""
    T = q.shape[-2]
    att = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B,NH,T,T)
    att = att.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return att.softmax(-1) @ v


def sdpa(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


attention = sdpa if hasattr(F, "scaled_dot_product_attention") else causal_attention


class Layer(nn.Module):
    """One GPT-NeoX layer with parallel residual: x + attn(ln1(x)) + mlp(ln2(x))."""

    def __init__(self, d, heads, gelu):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.dense = nn.Linear(d, d)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)
        self.gelu = gelu

    def forward(self, x, cos, sin):
        B, T, C = x.shape  # B batch, T time, C channels
        NH = self.heads
        HS = C // NH
        qkv = self.qkv(self.ln1(x)).view(B, T, NH, 3 * HS)  # (B,T,NH,3HS): GPT-NeoX's per-head layout
        q, k, v = qkv.transpose(1, 2).split(HS, dim=-1)  # each (B,NH,T,HS)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        a = attention(q, k, v)  # (B,NH,T,HS)
        a = self.dense(a.transpose(1, 2).reshape(B, T, C))
        m = self.down(F.gelu(self.up(self.ln2(x)), approximate=self.gelu))
        return x + a + m


class GptNeoX(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embed = nn.Embedding(s["vocab"], s["d"])
        self.layers = nn.ModuleList(Layer(s["d"], s["heads"], s["gelu"]) for _ in range(s["layers"]))
        self.ln_f = nn.LayerNorm(s["d"])
        self.head = nn.Linear(s["d"], s["vocab"], bias=False)
        hs = s["d"] // s["heads"]
        rot = int(hs * s["rotary_pct"])
        inv = 1.0 / (10000 ** (torch.arange(0, rot, 2).float() / rot))
        ang = torch.outer(torch.arange(s["seq"]).float(), inv)  # (T, rot/2)
        self.register_buffer("cos", ang.cos(), persistent=False)
        self.register_buffer("sin", ang.sin(), persistent=False)

    def forward(self, tokens, targets):
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.view(-1))


def time_training(s, steps, warmup, device):
    torch.manual_seed(1)
    model = GptNeoX(s).to(device)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "embed" in n]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator(device=device).manual_seed(2)
    tokens = torch.randint(0, s["vocab"], (s["batch"], s["seq"]), device=device, generator=gen)
    targets = torch.randint(0, s["vocab"], (s["batch"], s["seq"]), device=device, generator=gen)
    params = list(model.parameters())
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = model(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    times, losses = [], []
    for i in range(warmup + steps):
        sync(device)
        t0 = time.perf_counter()
        loss = step()
        sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    dt = statistics.median(times)
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    del model, opt
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return dict(tokens_per_sec=s["batch"] * s["seq"] / dt, seconds_per_step=dt, first_loss=losses[0],
                last_loss=losses[-1], peak_bytes=peak, parameters=sum(p.numel() for p in params))


def guarded(fn, *args):
    """The result, or {"error": ...}: one shape that fails (out of memory, say) leaves the others."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001: reported, not hidden
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return {"error": f"{type(e).__name__}: {e}"[:500]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True, help="JSON: device, gemm, train, steps, warmup")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    a = ap.parse_args()
    spec = json.loads(a.spec)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = torch.device(spec["device"])
    # fp32 GEMMs in full fp32, as ours (CUBLAS_COMPUTE_32F, no TF32); PyTorch's default, made explicit
    torch.backends.cuda.matmul.allow_tf32 = False
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    gemm = []
    for g in spec["gemm"]:
        row = dict(g)
        for label, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
            r = guarded(time_gemm, g, dtype, device)
            row[label] = r.get("error") if isinstance(r, dict) else r
        gemm.append(row)
    train = []
    for s in spec["train"]:
        r = guarded(time_training, s, spec["steps"], spec["warmup"], device)
        train.append({"name": s["name"], **r})
    finite = all(math.isfinite(t.get("last_loss", 0.0)) for t in train)
    print(json.dumps(dict(torch=torch.__version__, device=name, attention=attention.__name__, gemm=gemm, train=train, finite=finite)))


if __name__ == "__main__":
    main()
