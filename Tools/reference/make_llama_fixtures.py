#!/usr/bin/env python3
"""Generate PyTorch/HF/PEFT reference fixtures for the Swift Llama + LoRA implementation.

Writes, under Tests/LearningTests/Fixtures/:

  tiny-llama/          untied head, GQA (4 query heads, 2 kv heads), 2 layers
  tiny-llama-tied/     tied head, plain MHA (4/4 heads), 1 layer

Each folder holds
  config.json, model.safetensors      HF LlamaForCausalLM.save_pretrained (float32)
  adapter/                            PEFT LoRA adapter (r=4, alpha=8)
  adapter-rslora/                     PEFT rsLoRA adapter (r=4, alpha=8, use_rslora) -- tiny-llama only
  expected.safetensors                inputs, logits, losses and gradients (see README.md)

Everything is float32 and deterministic (fixed torch seeds, CPU). Regenerate with

  .venv-ref/bin/python Tools/reference/make_llama_fixtures.py

from the repository root (see Tools/reference/requirements.txt for the versions used).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

import peft
import safetensors
import transformers
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "LearningTests" / "Fixtures"

VOCAB = 259
BATCH = 2
SEQ = 16
N_IGNORED = 5
IGNORE_INDEX = -100

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

FIXTURES = {
    "tiny-llama": dict(
        config=dict(
            vocab_size=VOCAB,
            hidden_size=32,
            intermediate_size=88,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
            rms_norm_eps=1e-5,
            rope_theta=10000.0,
            tie_word_embeddings=False,
        ),
        seed=1234,
        rslora=True,
    ),
    "tiny-llama-tied": dict(
        config=dict(
            vocab_size=VOCAB,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=4,
            max_position_embeddings=64,
            rms_norm_eps=1e-5,
            rope_theta=10000.0,
            tie_word_embeddings=True,
        ),
        seed=5678,
        rslora=False,
    ),
}


def make_config(c: dict) -> LlamaConfig:
    c = dict(c)
    rope_theta = c.pop("rope_theta")
    cfg = LlamaConfig(
        **c,
        # transformers >= 5 keeps rope_theta inside rope_parameters (written to config.json as such).
        rope_parameters={"rope_type": "default", "rope_theta": rope_theta},
        attention_bias=False,
        mlp_bias=False,
        hidden_act="silu",
        initializer_range=0.02,
        attention_dropout=0.0,
        attn_implementation="eager",
    )
    cfg._attn_implementation = "eager"
    return cfg


def build_base(cfg: LlamaConfig, seed: int) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg).to(torch.float32)
    model.config._attn_implementation = "eager"
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        # named_parameters() de-duplicates shared tensors, so a tied embedding/head is drawn once.
        for name, p in model.named_parameters():
            if "norm" in name:  # input_layernorm, post_attention_layernorm, model.norm
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:  # embeddings and every linear weight (no biases in this config)
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    if cfg.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "head not tied"
    model.eval()
    return model


def make_inputs(seed: int):
    g = torch.Generator().manual_seed(seed + 2)
    input_ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=g, dtype=torch.int64)
    labels = torch.randint(0, VOCAB, (BATCH, SEQ), generator=g, dtype=torch.int64)
    flat = torch.randperm(BATCH * SEQ, generator=g)[:N_IGNORED]
    labels.view(-1)[flat] = IGNORE_INDEX
    return input_ids, labels


def loss_fn(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    # Explicit, UNshifted token-level cross entropy, mean over non-ignored positions.
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1).long(), ignore_index=IGNORE_INDEX
    )


def forward(model, input_ids):
    return model(input_ids=input_ids, use_cache=False).logits


def lora_config(rslora: bool) -> LoraConfig:
    return LoraConfig(
        r=4,
        lora_alpha=8,
        lora_dropout=0.0,
        target_modules=list(LORA_TARGETS),
        bias="none",
        task_type="CAUSAL_LM",
        use_rslora=rslora,
    )


def make_peft(base: LlamaForCausalLM, rslora: bool, seed: int):
    model = get_peft_model(copy.deepcopy(base), lora_config(rslora))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".lora_A." in name or ".lora_B." in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    model.eval()
    return model


def peft_saved_name(param_name: str, adapter_name: str = "default") -> str:
    # named_parameters():   base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight
    # adapter_model.safetensors: base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight
    return param_name.replace(f".{adapter_name}.", ".")


def capture_debug(model: LlamaForCausalLM, input_ids: torch.Tensor, prefix: str) -> dict:
    """Intermediate activations of the base model, to help localise a mismatch in Swift."""
    out = {}
    hooks = []
    inner = model.model
    hooks.append(inner.embed_tokens.register_forward_hook(lambda m, i, o: out.__setitem__(f"{prefix}.embed", o)))
    for li, layer in enumerate(inner.layers):
        hooks.append(
            layer.register_forward_hook(
                lambda m, i, o, li=li: out.__setitem__(f"{prefix}.layer.{li}", o[0] if isinstance(o, tuple) else o)
            )
        )
    hooks.append(inner.norm.register_forward_hook(lambda m, i, o: out.__setitem__(f"{prefix}.final_norm", o)))
    with torch.no_grad():
        forward(model, input_ids)
    for h in hooks:
        h.remove()
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def generate_one(name: str, spec: dict, out_root: Path) -> dict:
    out_dir = out_root / name
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = make_config(spec["config"])
    seed = spec["seed"]
    base = build_base(cfg, seed)
    input_ids, labels = make_inputs(seed)

    # --- base model: save, logits, loss, full gradients -------------------------------------------
    base.save_pretrained(out_dir, safe_serialization=True)
    # drop generation_config.json if written (not needed by the Swift side)
    gen_cfg = out_dir / "generation_config.json"
    if gen_cfg.exists():
        gen_cfg.unlink()

    tensors: dict[str, torch.Tensor] = {}
    tensors["input_ids"] = input_ids.to(torch.int32)
    tensors["labels"] = labels.to(torch.int32)

    full = copy.deepcopy(base)
    for p in full.parameters():
        p.requires_grad_(True)
    full.zero_grad(set_to_none=True)
    logits = forward(full, input_ids)
    loss = loss_fn(logits, labels)
    loss.backward()
    tensors["logits_base"] = logits.detach().clone()
    tensors["loss_base"] = loss.detach().reshape(1).clone()
    # state_dict() keys match model.safetensors (for a tied model lm_head.weight is not saved;
    # embed_tokens.weight.grad then accumulates both uses since it is the same Parameter).
    saved_keys = set(_safetensors_keys(out_dir / "model.safetensors"))
    named = dict(full.named_parameters())
    for k in sorted(saved_keys):
        g = named[k].grad
        assert g is not None, k
        tensors[f"grad_full.{k}"] = g.detach().clone()
    missing = set(named) - saved_keys
    assert not missing, f"parameters not in model.safetensors: {missing}"

    tensors.update(capture_debug(base, input_ids, "debug_base"))

    # --- adapters --------------------------------------------------------------------------------
    variants = [("lora", "adapter", False, seed + 10)]
    if spec["rslora"]:
        variants.append(("rslora", "adapter-rslora", True, seed + 20))
    for tag, sub, rs, aseed in variants:
        pm = make_peft(base, rs, aseed)
        pm.save_pretrained(out_dir / sub)
        _tidy_adapter_dir(out_dir / sub)
        saved_adapter = set(_safetensors_keys(out_dir / sub / "adapter_model.safetensors"))
        pm.zero_grad(set_to_none=True)
        logits = forward(pm, input_ids)
        loss = loss_fn(logits, labels)
        loss.backward()
        tensors[f"logits_{tag}"] = logits.detach().clone()
        tensors[f"loss_{tag}"] = loss.detach().reshape(1).clone()
        trainable = {n: p for n, p in pm.named_parameters() if p.requires_grad}
        assert all((".lora_A." in n or ".lora_B." in n) for n in trainable), "unexpected trainable params"
        mapped = {peft_saved_name(n): p for n, p in trainable.items()}
        assert set(mapped) == saved_adapter, (set(mapped) ^ saved_adapter)
        if tag == "lora":  # grads only for the plain adapter (as specified)
            for k in sorted(mapped):
                tensors[f"grad_lora.{k}"] = mapped[k].grad.detach().clone()
        # sanity: the saved state dict equals the live parameters
        sd = get_peft_model_state_dict(pm)
        for k, v in sd.items():
            assert torch.equal(v, mapped[k].detach()), k

    for k, v in tensors.items():
        if v.dtype.is_floating_point:
            assert v.dtype == torch.float32, (k, v.dtype)
            assert torch.isfinite(v).all(), k
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    save_file(tensors, str(out_dir / "expected.safetensors"), metadata=_metadata(cfg))
    return {
        "loss_base": tensors["loss_base"].item(),
        "loss_lora": tensors["loss_lora"].item(),
        **({"loss_rslora": tensors["loss_rslora"].item()} if "loss_rslora" in tensors else {}),
        "n_tensors": len(tensors),
    }


def _tidy_adapter_dir(d: Path) -> None:
    # PEFT writes a boilerplate model card; not needed.
    card = d / "README.md"
    if card.exists():
        card.unlink()
    # PEFT stores target_modules from a Python set, so its order depends on PYTHONHASHSEED;
    # sort it so that regenerating gives byte-identical files.
    cfg_path = d / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    if isinstance(cfg.get("target_modules"), list):
        cfg["target_modules"] = sorted(cfg["target_modules"])
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def _safetensors_keys(path: Path):
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return list(f.keys())


def _metadata(cfg: LlamaConfig) -> dict:
    # A single key: safetensors serialises the metadata map in hash order, so several keys
    # would make the file bytes differ from run to run.
    return {"fixture_info": json.dumps(_info(), sort_keys=True)}


def _info() -> dict:
    return {
        "generator": "Tools/reference/make_llama_fixtures.py",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
        "loss": "F.cross_entropy(logits.reshape(-1,V), labels.reshape(-1), ignore_index=-100), unshifted, mean",
        "position_ids": "0..15 per row, no attention mask",
        "attn_implementation": "eager",
        "input_ids_dtype": "int32",
        "labels_dtype": "int32",
    }


def versions() -> dict:
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)  # bit-for-bit stable reductions across runs
    torch.use_deterministic_algorithms(True)
    print("versions:", json.dumps(versions()))
    for name, spec in FIXTURES.items():
        info = generate_one(name, spec, args.out)
        print(name, json.dumps(info))
    for f in args.out.rglob("*"):
        if f.is_file():
            f.chmod(0o644)


if __name__ == "__main__":
    main()
