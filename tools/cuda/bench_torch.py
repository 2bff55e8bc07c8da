"""torch baseline for backends/cuda/bench/bench.ts on the same card in the same call: torch.matmul (bf16, f32 with
TF32 off) and a device-to-device copy, timed with CUDA events (median of 5 repetitions after warm-up)."""
import json
import os
import sys

import torch

torch.backends.cuda.matmul.allow_tf32 = False
dev = torch.device("cuda")
rows = []


def timed(fn, iterations):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iterations):
            fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / iterations)
    times.sort()
    return times[len(times) // 2]


for n, dtype, iters in [(4096, torch.bfloat16, 20), (8192, torch.bfloat16, 10), (4096, torch.float32, 10)]:
    a = torch.rand(n, n, device=dev, dtype=dtype) * 2 - 1
    b = torch.rand(n, n, device=dev, dtype=dtype) * 2 - 1
    ms = timed(lambda: torch.matmul(a, b), iters)
    rows.append({"what": "torch.matmul", "dtype": str(dtype).split(".")[1], "size": f"{n}x{n}x{n}", "ms": ms,
                 "rate": 2 * n**3 / (ms * 1e9), "unit": "TFLOP/s"})
x = torch.rand(2**28, device=dev)
y = torch.empty_like(x)
ms = timed(lambda: y.copy_(x), 20)
rows.append({"what": "copy_", "dtype": "float32", "size": "1 GiB", "ms": ms, "rate": 2 * 2**30 / (ms * 1e6), "unit": "GB/s"})
print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
for r in rows:
    print(f"{r['what']:<13} {r['dtype']:<8} {r['size']:<16} {r['ms']:9.3f} ms  {r['rate']:7.1f} {r['unit']}")
out = os.environ.get("OUT")
if out:
    with open(os.path.join(out, "bench-torch.json"), "w") as f:
        json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(), "rows": rows}, f, indent=2)
sys.exit(0)
