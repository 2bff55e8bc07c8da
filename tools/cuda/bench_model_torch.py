"""The peer of tools/cuda/bench-model.ts in the same device call: Hugging Face transformers' FalconH1ForCausalLM as
`pip install transformers` runs it (PyTorch eager, no torch.compile, the default attention implementation, the
Mamba2 mixer's torch path unless mamba_ssm is installed — printed), random bf16 weights of the same config
(the JSON bench-model.ts wrote). Same measurements: prefill 1x2048 and 8x2048 (last-position logits), greedy decode at
batch 1 and 32 after a 512-token prompt (tokens/s of the decode steps: generate(N) - generate(1)), one training step
4x2048 (forward + backward + torch AdamW) with torch.cuda.max_memory_allocated.
usage: python3 bench_model_torch.py CONFIG_JSON [--only prefill,decode,train] [--decode-steps N]"""
import argparse
import importlib.util
import json
import os
import time

import torch
import transformers
from transformers import FalconH1Config, FalconH1ForCausalLM

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("--only", default="prefill,decode,train")
parser.add_argument("--decode-steps", type=int, default=64)
args = parser.parse_args()
only = set(args.only.split(","))

dev = torch.device("cuda")
with open(args.config) as f:
    # Our config writer marks non-finite floats as {"__float__": "Infinity"} (JSON has no literal for them).
    raw = json.load(f, object_hook=lambda o: float(o["__float__"]) if set(o) == {"__float__"} else o)
config = FalconH1Config(**raw)
torch.manual_seed(0)
model = FalconH1ForCausalLM(config).to(device=dev, dtype=torch.bfloat16)
model.eval()
print(f"# transformers {transformers.__version__}, torch {torch.__version__}, {torch.cuda.get_device_name()}, "
      f"attn {model.config._attn_implementation}, mamba_ssm {'yes' if importlib.util.find_spec('mamba_ssm') else 'no'}, "
      f"{sum(p.numel() for p in model.parameters())} parameters")
rows = []


def record(row):
    rows.append(row)
    print(json.dumps(row), flush=True)


def ids(b, t, seed):
    g = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randint(0, config.vocab_size, (b, t), generator=g).to(dev)


def timed(fn, repeats=3, warmup=1):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def guarded(what, fn):
    try:
        fn()
    except torch.OutOfMemoryError as e:
        record({"what": what, "error": f"out of memory: {str(e).splitlines()[0]}"})
        torch.cuda.empty_cache()
    except Exception as e:  # report and go on: the other figures still count
        record({"what": what, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"})
        torch.cuda.empty_cache()


def prefill(b, t):
    x = ids(b, t, 11)
    with torch.no_grad():
        ms = timed(lambda: model(x, logits_to_keep=1, use_cache=False))
    record({"what": "prefill", "batch": b, "tokens": t, "ms": ms, "tokensPerSecond": b * t / (ms / 1000)})


def decode(b, prompt, steps):
    x = ids(b, prompt, 13)
    mask = torch.ones_like(x)

    def gen(n):
        with torch.no_grad():
            model.generate(x, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                           pad_token_id=0)

    one = timed(lambda: gen(1), repeats=3)
    many = timed(lambda: gen(steps + 1), repeats=1)
    ms = (many - one) / steps
    record({"what": "decode", "batch": b, "prompt": prompt, "steps": steps, "msPerStep": ms,
            "tokensPerSecond": b / (ms / 1000)})


def train(b, t):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    x = ids(b, t, 17)
    torch.cuda.reset_peak_memory_stats()

    def step():
        loss = model(x, labels=x, use_cache=False).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()

    ms = timed(step)
    n = sum(p.numel() for p in model.parameters())
    attention = 6 * config.num_hidden_layers * t * t * config.num_attention_heads * config.head_dim
    record({"what": "train", "batch": b, "tokens": t, "ms": ms, "tokensPerSecond": b * t / (ms / 1000),
            "tflops": b * (6 * n * t + attention) / (ms / 1000) / 1e12,
            "peakBytes": torch.cuda.max_memory_allocated()})
    model.eval()


if "prefill" in only:
    guarded("prefill", lambda: prefill(1, 2048))
    guarded("prefill", lambda: prefill(8, 2048))
if "decode" in only:
    guarded("decode", lambda: decode(1, 512, args.decode_steps))
    guarded("decode", lambda: decode(32, 512, args.decode_steps))
if "train" in only:
    guarded("train", lambda: train(4, 2048))
out = os.environ.get("OUT")
if out:
    with open(os.path.join(out, "bench-model-torch.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__,
                   "device": torch.cuda.get_device_name(), "rows": rows}, f, indent=2)
