# torch.matmul GFLOP/s on the same card, for BENCHMARKS.md: f32 without TF32 (plain FP32 like WGSL), f32 with
# TF32 tensor cores, and f16. Prints JSON lines.
import json, sys, torch

sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1024,2048,4096").split(",")]
reps = 20
print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__}))
for label, dtype, tf32 in [("f32", torch.float32, False), ("f32-tf32", torch.float32, True), ("f16", torch.float16, False)]:
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for n in sizes:
        a = torch.randn(n, n, device="cuda", dtype=dtype)
        b = torch.randn(n, n, device="cuda", dtype=dtype)
        for _ in range(3):
            a @ b
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            a @ b
        end.record()
        torch.cuda.synchronize()
        ms = start.elapsed_time(end) / reps
        print(json.dumps({"dtype": label, "n": n, "ms": ms, "gflops": 2 * n**3 / ms / 1e6}))
