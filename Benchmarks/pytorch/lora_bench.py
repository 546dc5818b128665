#!/usr/bin/env python3
"""PyTorch eager + PEFT LoRA fine-tuning throughput on CPU (reference for FedSim's Swift trainer).

Model: HF LlamaForCausalLM (SwiGLU MLP, RMSNorm, default RoPE theta 10000, untied head,
vocab 259, plain multi-head attention), randomly initialised -- nothing is downloaded.
LoRA (PEFT): r=8, alpha=16, dropout 0 on q,k,v,o,gate,up,down projections; base weights frozen.
Optimiser: torch.optim.AdamW(lr=1e-3) over the LoRA parameters.
One step = forward + cross-entropy (next-token, mean) + backward + optimizer.step() + zero_grad().
Batch: 16 sequences of `context` random token ids (a pool of 4 pre-generated batches, cycled).

  .venv-ref/bin/python Benchmarks/pytorch/lora_bench.py --threads 1
  .venv-ref/bin/python Benchmarks/pytorch/lora_bench.py --threads 2 --attn eager,sdpa --json

tokens_per_s = batch * context * timed_steps / total timed wall time; step_ms = median step time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

# PEFT 0.21 calls a transformers helper that transformers 5.x marks deprecated; harmless.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)

CONFIGS = {
    #        hidden layers heads intermediate context
    "nano": dict(hidden=64, layers=2, heads=4, intermediate=176, context=64),
    "micro": dict(hidden=128, layers=4, heads=4, intermediate=352, context=128),
    "mini": dict(hidden=256, layers=6, heads=8, intermediate=704, context=256),
}
VOCAB = 259
BATCH = 16
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (interop threads fixed to 1)")
    ap.add_argument("--configs", default="nano,micro,mini", help="comma list of " + ",".join(CONFIGS))
    ap.add_argument("--attn", default="eager", help="eager | sdpa | eager,sdpa (one row per variant)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per config")
    ap.add_argument("--steps", type=int, default=10, help="minimum timed steps per config")
    ap.add_argument("--min-time", type=float, default=3.0, help="keep timing until at least this many seconds")
    ap.add_argument("--max-steps", type=int, default=1000, help="upper bound on timed steps")
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="one JSON object per config per line")
    return ap.parse_args()


def main():
    args = parse_args()

    import torch  # imported after arg parsing so --help is fast

    # Must happen before any parallel work is started.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)

    import torch.nn.functional as F
    import transformers
    import peft
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    transformers.logging.set_verbosity_error()
    try:
        transformers.utils.logging.disable_progress_bar()
    except Exception:
        pass

    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    attns = [a.strip() for a in args.attn.split(",") if a.strip()]
    for n in names:
        if n not in CONFIGS:
            sys.exit(f"unknown config {n!r}; choose from {list(CONFIGS)}")
    for a in attns:
        if a not in ("eager", "sdpa"):
            sys.exit(f"unknown --attn {a!r}")

    rows = []
    if not args.json:
        print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, "
              f"threads {torch.get_num_threads()} (interop {torch.get_num_interop_threads()}), "
              f"batch {args.batch}, {platform.processor() or platform.machine()}, "
              f"cpu capability {torch.backends.cpu.get_cpu_capability()}", flush=True)

    for name in names:
        c = CONFIGS[name]
        for attn in attns:
            torch.manual_seed(args.seed)
            cfg = LlamaConfig(
                vocab_size=VOCAB,
                hidden_size=c["hidden"],
                intermediate_size=c["intermediate"],
                num_hidden_layers=c["layers"],
                num_attention_heads=c["heads"],
                num_key_value_heads=c["heads"],
                max_position_embeddings=c["context"],
                rms_norm_eps=1e-5,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                tie_word_embeddings=False,
                attention_bias=False,
                mlp_bias=False,
                hidden_act="silu",
                attention_dropout=0.0,
                use_cache=False,
                attn_implementation=attn,
            )
            base = LlamaForCausalLM(cfg).to(torch.float32)
            base.config._attn_implementation = attn
            n_params = sum(p.numel() for p in base.parameters())
            model = get_peft_model(
                base,
                LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=list(LORA_TARGETS),
                           bias="none", task_type="CAUSAL_LM"),
            )
            # PEFT initialises lora_B to zero; randomise so the update path does real work
            # (it does not change the cost, but keeps the loss/grad path non-degenerate).
            with torch.no_grad():
                for n, p in model.named_parameters():
                    if ".lora_B." in n:
                        p.normal_(0.0, 0.01)
            model.train()
            trainable = [p for p in model.parameters() if p.requires_grad]
            n_trainable = sum(p.numel() for p in trainable)
            opt = torch.optim.AdamW(trainable, lr=1e-3)

            T = c["context"]
            g = torch.Generator().manual_seed(args.seed + 1)
            pool = [torch.randint(0, VOCAB, (args.batch, T), generator=g) for _ in range(4)]

            def step(i):
                ids = pool[i % len(pool)]
                logits = model(input_ids=ids, use_cache=False).logits
                loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                return loss.detach()

            for i in range(args.warmup):
                step(i)

            times = []
            t_start = time.perf_counter()
            i = 0
            while True:
                t0 = time.perf_counter()
                loss = step(i)
                times.append(time.perf_counter() - t0)
                i += 1
                elapsed = time.perf_counter() - t_start
                if (i >= args.steps and elapsed >= args.min_time) or i >= args.max_steps:
                    break
            total = sum(times)
            tokens = args.batch * T * len(times)
            row = {
                "config": name,
                "threads": torch.get_num_threads(),
                "tokens_per_s": round(tokens / total, 1),
                "step_ms": round(1000 * statistics.median(times), 3),
                "torch_version": torch.__version__,
                # PyTorch dispatches its own CPU kernels on CPU features: report what it uses.
                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                "blas": "mkl" if torch.backends.mkl.is_available() else "other",
                "attn": attn,
                "step_ms_min": round(1000 * min(times), 3),
                "step_ms_mean": round(1000 * total / len(times), 3),
                "steps": len(times),
                "warmup": args.warmup,
                "batch": args.batch,
                "context": T,
                "params": n_params,
                "trainable_params": n_trainable,
                "final_loss": round(loss.detach().item(), 4),
                "transformers_version": transformers.__version__,
                "peft_version": peft.__version__,
            }
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"  done {name}/{attn}: {row['tokens_per_s']:.0f} tok/s", file=sys.stderr, flush=True)
            del model, base, opt

    if not args.json:
        hdr = f"{'config':7s} {'attn':5s} {'thr':>3s} {'params':>9s} {'lora':>7s} {'ctx':>4s} {'steps':>5s} " \
              f"{'step ms (med)':>13s} {'step ms (min)':>13s} {'tokens/s':>10s}"
        print(hdr)
        print("-" * len(hdr))
        for r in rows:
            print(f"{r['config']:7s} {r['attn']:5s} {r['threads']:3d} {r['params']:9d} {r['trainable_params']:7d} "
                  f"{r['context']:4d} {r['steps']:5d} {r['step_ms']:13.2f} {r['step_ms_min']:13.2f} "
                  f"{r['tokens_per_s']:10.0f}")


if __name__ == "__main__":
    main()
