#!/usr/bin/env python3
"""FedSim vs PyTorch eager + PEFT: LoRA fine-tuning tokens/s on the same configs, side by side.

Runs `fedsim bench train --json` and Benchmarks/pytorch/lora_bench.py --json for each thread count,
alternating the two so that both see the same machine state, and prints the ratio.

    swift build -c release --product fedsim
    .venv-ref/bin/python Benchmarks/compare_pytorch.py [--threads 1,2] [--configs nano,micro,mini] [--seconds 5] [--markdown]

Both sides' kernels are printed (FedSim's OpenBLAS kernel and how it was chosen, PyTorch's CPU
capability), and a FedSim fallback kernel — below what the CPU supports — is flagged loudly.

Needs the virtual environment of Tools/reference/requirements.txt (torch, transformers, peft).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(command):
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--configs", default="nano,micro,mini")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fedsim", default=os.path.join(ROOT, ".build/release/fedsim"))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    rows = []
    for threads in args.threads.split(","):
        for config in args.configs.split(","):
            swift = run_json([args.fedsim, "bench", "train", "--json", "--threads", threads, "--configs", config,
                              "--seconds", str(args.seconds)])[0]
            torch = run_json([sys.executable, "Benchmarks/pytorch/lora_bench.py", "--json", "--threads", threads,
                              "--configs", config, "--min-time", str(args.seconds)])[0]
            rows.append((config, int(threads), swift, torch))
            print(f"{config} x{threads}: fedsim {swift['tokens_per_s']:.0f} tok/s, pytorch {torch['tokens_per_s']:.0f} tok/s,"
                  f" ratio {swift['tokens_per_s'] / torch['tokens_per_s']:.2f}", file=sys.stderr, flush=True)

    core = rows[0][2].get("openblas_core", "?") if rows else "?"
    torch_version = rows[0][3].get("torch_version", "?") if rows else "?"
    source = rows[0][2].get("kernel_source", "?") if rows else "?"
    level, best = (rows[0][2].get("kernel_level", "?"), rows[0][2].get("best_level", "?")) if rows else ("?", "?")
    capability = rows[0][3].get("cpu_capability", "?") if rows else "?"
    kernels = (f"FedSim: OpenBLAS kernel {core} ({level}; chosen by {source}; the CPU supports {best}); "
               f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}. "
               f"PyTorch {torch_version}: CPU capability {capability}, BLAS {rows[0][3].get('blas', '?') if rows else '?'}")
    print(kernels, file=sys.stderr)
    if level != best:
        # A fallback kernel makes every FedSim figure meaningless as a comparison: say so loudly.
        print(f"WARNING: FedSim runs a FALLBACK kernel ({core}, {level}) on a CPU that supports {best}: "
              f"these ratios understate FedSim (see `fedsim doctor`)", file=sys.stderr)
    if args.markdown:
        print(kernels + "\n")
        if level != best:
            print(f"**Fallback kernel: {core} ({level}) on a CPU that supports {best}.**\n")
        print("| config | threads | FedSim tok/s | FedSim step ms | FLOP utilisation | PyTorch tok/s | PyTorch step ms | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for config, threads, s, t in rows:
            print(f"| {config} | {threads} | {s['tokens_per_s']:.0f} | {s['step_ms']:.1f} | {100 * s['utilisation']:.0f}% "
                  f"| {t['tokens_per_s']:.0f} | {t['step_ms']:.1f} | {s['tokens_per_s'] / t['tokens_per_s']:.2f}× |")
    else:
        for config, threads, s, t in rows:
            print(f"{config:6} threads {threads}  fedsim {s['tokens_per_s']:9.0f}  pytorch {t['tokens_per_s']:9.0f}"
                  f"  ratio {s['tokens_per_s'] / t['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()
