"""Evaluate a FedSim checkpoint (and PEFT adapter) with Hugging Face transformers + PEFT.

Checks that what FedSim exports loads in the Python ecosystem and gives the same loss as
`fedsim eval` (same windows: inputs tokens[kN:kN+N], targets tokens[kN+1:kN+N+1]).

    .venv-ref/bin/python Tools/reference/eval_with_transformers.py --model DIR [--adapter DIR] --text FILE [--context N]
"""
import argparse
import json

import torch
import torch.nn.functional as F
from transformers import LlamaForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--adapter")
    parser.add_argument("--text", required=True)
    parser.add_argument("--context", type=int)
    args = parser.parse_args()

    model = LlamaForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="eager")
    if args.adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, args.adapter)
    model.eval()
    n = args.context or model.config.max_position_embeddings
    tokens = torch.tensor(list(open(args.text, "rb").read()), dtype=torch.long)
    windows = (len(tokens) - 1) // n
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, windows, 16):
            ks = range(start, min(start + 16, windows))
            inputs = torch.stack([tokens[k * n : k * n + n] for k in ks])
            targets = torch.stack([tokens[k * n + 1 : k * n + n + 1] for k in ks])
            logits = model(input_ids=inputs).logits
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), targets.reshape(-1), reduction="sum").item()
            count += targets.numel()
    loss = total / count
    print(json.dumps({"loss": loss, "perplexity": float(torch.exp(torch.tensor(loss))), "tokens": count}))


if __name__ == "__main__":
    main()
