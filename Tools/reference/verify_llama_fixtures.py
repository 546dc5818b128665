#!/usr/bin/env python3
"""Independent check of the fixtures written by make_llama_fixtures.py (run in a fresh process).

1. Reload config/model/adapters from disk with transformers + PEFT and recompute every tensor in
   expected.safetensors (logits, losses, LoRA and full gradients, debug activations).
2. Recompute the same with a from-scratch functional Llama + LoRA written below (plain torch ops, no
   transformers/PEFT code), reading only the safetensors/json files -- i.e. what the Swift side does.
3. Float64 central finite differences for a few gradient entries: HF/PEFT model.double() autograd vs a
   central difference of the from-scratch model in float64 (see finite_differences for why).

  .venv-ref/bin/python Tools/reference/verify_llama_fixtures.py
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from peft import PeftModel
from safetensors.torch import load_file
from transformers import LlamaForCausalLM

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO_ROOT / "Tests" / "LearningTests" / "Fixtures"
IGNORE_INDEX = -100

failures: list[str] = []


def check(name: str, got: torch.Tensor, want: torch.Tensor, atol: float, rtol: float) -> None:
    got = got.detach().to(torch.float64)
    want = want.detach().to(torch.float64)
    if got.shape != want.shape:
        failures.append(f"{name}: shape {tuple(got.shape)} != {tuple(want.shape)}")
        print(f"  FAIL {name}: shape mismatch")
        return
    err = (got - want).abs()
    bound = atol + rtol * want.abs()
    ok = bool((err <= bound).all())
    rel = (err.max() / want.abs().max().clamp_min(1e-30)).item()
    if not ok:
        failures.append(f"{name}: max abs err {err.max().item():.3e} (rel {rel:.3e})")
    return ok, err.max().item(), rel


def report(tag: str, results: list) -> None:
    worst_abs = max(r[1] for r in results)
    worst_rel = max(r[2] for r in results)
    status = "ok" if all(r[0] for r in results) else "FAIL"
    print(f"  {status:4s} {tag:40s} n={len(results):3d} max|err|={worst_abs:.2e} max rel(err/max|ref|)={worst_rel:.2e}")


def ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1).long(), ignore_index=IGNORE_INDEX)


# ------------------------------------------------------------------------------------------------
# From-scratch functional reference (no transformers / peft code)
# ------------------------------------------------------------------------------------------------


def scratch_forward(cfg: dict, W: dict, ids: torch.Tensor, lora: dict | None = None, capture: dict | None = None):
    """W: HF-named base weights. lora: {"scaling": s, "A": {module_path: A}, "B": {module_path: B}}."""
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    eps = cfg["rms_norm_eps"]
    theta = (cfg.get("rope_parameters") or {}).get("rope_theta", cfg.get("rope_theta", 10000.0))
    B, T = ids.shape
    dt = W["model.embed_tokens.weight"].dtype

    def lin(x, path):
        y = x @ W[path + ".weight"].T
        if lora is not None and path in lora["A"]:
            y = y + lora["scaling"] * ((x @ lora["A"][path].T) @ lora["B"][path].T)
        return y

    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    pos = torch.arange(T, dtype=torch.float64)
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = pos[:, None] * inv[None, :]  # (T, hd/2)
    cos = torch.cat([ang.cos(), ang.cos()], -1).to(dt)
    sin = torch.cat([ang.sin(), ang.sin()], -1).to(dt)

    def rope(x):  # x: (B, h, T, hd); "rotate_half" (non-interleaved) convention
        x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    mask = torch.full((T, T), float("-inf"), dtype=dt).triu(1)
    h = W["model.embed_tokens.weight"][ids]
    if capture is not None:
        capture["embed"] = h
    for li in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{li}"
        x = rms(h, W[f"{p}.input_layernorm.weight"])
        q = lin(x, f"{p}.self_attn.q_proj").view(B, T, nh, hd).transpose(1, 2)
        k = lin(x, f"{p}.self_attn.k_proj").view(B, T, nkv, hd).transpose(1, 2)
        v = lin(x, f"{p}.self_attn.v_proj").view(B, T, nkv, hd).transpose(1, 2)
        q, k = rope(q), rope(k)
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=1)  # query head j uses kv head j // rep
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, nh * hd)
        h = h + lin(o, f"{p}.self_attn.o_proj")
        x = rms(h, W[f"{p}.post_attention_layernorm.weight"])
        m = F.silu(lin(x, f"{p}.mlp.gate_proj")) * lin(x, f"{p}.mlp.up_proj")
        h = h + lin(m, f"{p}.mlp.down_proj")
        if capture is not None:
            capture[f"layer.{li}"] = h
    h = rms(h, W["model.norm.weight"])
    if capture is not None:
        capture["final_norm"] = h
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return h @ head.T


def load_scratch_lora(adapter_dir: Path) -> tuple[dict, dict]:
    acfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    r, alpha = acfg["r"], acfg["lora_alpha"]
    scaling = alpha / math.sqrt(r) if acfg.get("use_rslora") else alpha / r
    raw = load_file(str(adapter_dir / "adapter_model.safetensors"))
    A, Bm = {}, {}
    prefix = "base_model.model."
    for k, v in raw.items():
        assert k.startswith(prefix), k
        path, kind = k[len(prefix) :].rsplit(".lora_", 1)
        {"A.weight": A, "B.weight": Bm}[kind][path] = v
    return {"scaling": scaling, "A": A, "B": Bm}, raw


# ------------------------------------------------------------------------------------------------


def verify_folder(d: Path, fd_checks: bool) -> None:
    print(f"== {d.name}")
    exp = load_file(str(d / "expected.safetensors"))
    cfg = json.loads((d / "config.json").read_text())
    ids = exp["input_ids"].long()
    labels = exp["labels"].long()
    V = cfg["vocab_size"]
    assert exp["input_ids"].dtype == torch.int32 and exp["labels"].dtype == torch.int32
    assert ids.shape == (2, 16) and labels.shape == (2, 16)
    assert int((labels == IGNORE_INDEX).sum()) == 5, "expected 5 ignored labels"
    assert ids.min() >= 0 and ids.max() < V
    valid = labels[labels != IGNORE_INDEX]
    assert valid.min() >= 0 and valid.max() < V
    for k, v in exp.items():
        if k not in ("input_ids", "labels"):
            assert v.dtype == torch.float32, (k, v.dtype)
    print(f"  inputs ok: input_ids/labels int32 (2,16), 5 ignored labels; {len(exp)} tensors")
    ATOL, RTOL = 2e-5, 2e-5  # float32 recompute tolerances (observed errors are ~1e-6 or exact)

    # ---- 1. HF + PEFT reload ---------------------------------------------------------------------
    base = LlamaForCausalLM.from_pretrained(d, attn_implementation="eager", dtype=torch.float32)
    base.eval()
    assert base.config._attn_implementation == "eager"
    full = copy.deepcopy(base)
    for p in full.parameters():
        p.requires_grad_(True)
    logits = full(input_ids=ids, use_cache=False).logits
    loss = ce(logits, labels)
    loss.backward()
    report("hf logits_base/loss_base", [check("logits_base", logits, exp["logits_base"], ATOL, RTOL),
                                         check("loss_base", loss.reshape(1), exp["loss_base"], ATOL, RTOL)])
    named = dict(full.named_parameters())
    gfull = [k[len("grad_full."):] for k in exp if k.startswith("grad_full.")]
    assert set(gfull) == set(named), set(gfull) ^ set(named)
    report("hf grad_full.*", [check(f"grad_full.{k}", named[k].grad, exp[f"grad_full.{k}"], ATOL, RTOL) for k in gfull])

    variants = [("lora", "adapter")]
    if (d / "adapter-rslora").exists():
        variants.append(("rslora", "adapter-rslora"))
    peft_models = {}
    for tag, sub in variants:
        pm = PeftModel.from_pretrained(copy.deepcopy(base), d / sub, is_trainable=True)
        pm.eval()
        peft_models[tag] = pm
        logits = pm(input_ids=ids, use_cache=False).logits
        loss = ce(logits, labels)
        loss.backward()
        res = [check(f"logits_{tag}", logits, exp[f"logits_{tag}"], ATOL, RTOL),
               check(f"loss_{tag}", loss.reshape(1), exp[f"loss_{tag}"], ATOL, RTOL)]
        report(f"hf logits_{tag}/loss_{tag}", res)
        if tag == "lora":
            tr = {n.replace(".default.", "."): p for n, p in pm.named_parameters() if p.requires_grad}
            gl = [k[len("grad_lora."):] for k in exp if k.startswith("grad_lora.")]
            assert set(gl) == set(tr), set(gl) ^ set(tr)
            report("hf grad_lora.*", [check(f"grad_lora.{k}", tr[k].grad, exp[f"grad_lora.{k}"], ATOL, RTOL) for k in gl])

    # ---- 2. from-scratch functional reference ----------------------------------------------------
    W = {k: v.clone().requires_grad_(True) for k, v in load_file(str(d / "model.safetensors")).items()}
    cap: dict = {}
    logits = scratch_forward(cfg, W, ids, capture=cap)
    loss = ce(logits, labels)
    loss.backward()
    res = [check("scratch logits_base", logits, exp["logits_base"], ATOL, RTOL),
           check("scratch loss_base", loss.reshape(1), exp["loss_base"], ATOL, RTOL)]
    res += [check(f"scratch debug_base.{k}", v, exp[f"debug_base.{k}"], ATOL, RTOL) for k, v in cap.items()]
    report("scratch logits/loss/debug (base)", res)
    report("scratch grad_full.*", [check(f"scratch grad_full.{k}", W[k].grad, exp[f"grad_full.{k}"], ATOL, RTOL) for k in W])

    Wc = {k: v.detach() for k, v in W.items()}
    for tag, sub in variants:
        lora, raw = load_scratch_lora(d / sub)
        for dct in (lora["A"], lora["B"]):
            for k in dct:
                dct[k] = dct[k].clone().requires_grad_(True)
        logits = scratch_forward(cfg, Wc, ids, lora=lora)
        loss = ce(logits, labels)
        loss.backward()
        res = [check(f"scratch logits_{tag}", logits, exp[f"logits_{tag}"], ATOL, RTOL),
               check(f"scratch loss_{tag}", loss.reshape(1), exp[f"loss_{tag}"], ATOL, RTOL)]
        report(f"scratch logits_{tag}/loss_{tag} (scale {lora['scaling']:g})", res)
        if tag == "lora":
            res = []
            for k in raw:
                path, kind = k[len("base_model.model."):].rsplit(".lora_", 1)
                t = (lora["A"] if kind == "A.weight" else lora["B"])[path]
                res.append(check(f"scratch grad_lora.{k}", t.grad, exp[f"grad_lora.{k}"], ATOL, RTOL))
            report("scratch grad_lora.*", res)

    # ---- 3. float64 finite differences -----------------------------------------------------------
    if fd_checks:
        finite_differences(d, base, peft_models["lora"], ids, labels, exp)


def finite_differences(d: Path, base, pm, ids, labels, exp) -> None:
    """Central differences in float64.

    transformers' Llama is not float64 end to end after model.double(): LlamaRMSNorm upcasts to
    float32 (`hidden_states.to(torch.float32)`), the rotary cos/sin are computed in float32 and eager
    attention runs softmax with dtype=float32. That float32 rounding swamps a 1e-6 finite
    difference. So (a) the HF/PEFT model in double supplies the autograd value, and (b) the
    numerical derivative is taken on the from-scratch functional model in genuine float64 (which
    matches HF to ~1e-6 in float32 above).
    """
    eps = 1e-6
    cfg = json.loads((d / "config.json").read_text())
    W64 = {k: v.double() for k, v in load_file(str(d / "model.safetensors")).items()}
    lora, _ = load_scratch_lora(d / "adapter")
    lora64 = {"scaling": lora["scaling"], "A": {k: v.double() for k, v in lora["A"].items()},
              "B": {k: v.double() for k, v in lora["B"].items()}}

    def scratch_loss(use_lora: bool) -> float:
        return ce(scratch_forward(cfg, W64, ids, lora=lora64 if use_lora else None), labels).item()

    def central(t: torch.Tensor, idx, use_lora: bool) -> float:
        orig = t[idx].item()
        t[idx] = orig + eps
        lp = scratch_loss(use_lora)
        t[idx] = orig - eps
        lm = scratch_loss(use_lora)
        t[idx] = orig
        return (lp - lm) / (2 * eps)

    picks_lora = [
        ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", (1, 3)),
        ("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight", (5, 2)),
    ]
    picks_full = [
        ("model.layers.0.self_attn.k_proj.weight", (3, 7)),
        ("model.layers.0.input_layernorm.weight", (4,)),
        ("model.embed_tokens.weight", (int(ids[0, 0]), 0)),
    ]

    pm64 = copy.deepcopy(pm).double()
    pm64.zero_grad(set_to_none=True)
    ce(pm64(input_ids=ids, use_cache=False).logits, labels).backward()
    tr = {n.replace(".default.", "."): p for n, p in pm64.named_parameters() if p.requires_grad}
    for name, idx in picks_lora:
        path, kind = name[len("base_model.model."):].rsplit(".lora_", 1)
        t = (lora64["A"] if kind == "A.weight" else lora64["B"])[path]
        _fd_line(f"grad_lora.{name}{list(idx)}", tr[name].grad[idx].item(), central(t, idx, True),
                 exp[f"grad_lora.{name}"][idx].item())

    full64 = copy.deepcopy(base).double()
    for p in full64.parameters():
        p.requires_grad_(True)
    full64.zero_grad(set_to_none=True)
    ce(full64(input_ids=ids, use_cache=False).logits, labels).backward()
    named = dict(full64.named_parameters())
    for name, idx in picks_full:
        _fd_line(f"grad_full.{name}{list(idx)}", named[name].grad[idx].item(), central(W64[name], idx, False),
                 exp[f"grad_full.{name}"][idx].item())


def _fd_line(label: str, autograd64: float, numeric64: float, fixture32: float) -> None:
    rel_fd = abs(autograd64 - numeric64) / max(abs(autograd64), 1e-12)
    rel_fx = abs(fixture32 - autograd64) / max(abs(autograd64), 1e-12)
    # HF "double" still rounds through float32 in places (see above), hence 1e-4 for autograd vs fd.
    ok = rel_fd < 1e-4 and rel_fx < 1e-4
    if not ok:
        failures.append(f"finite difference {label}: autograd64={autograd64} fd64={numeric64} fixture={fixture32}")
    print(f"  {'ok' if ok else 'FAIL':4s} fd64 {label}: hf-autograd(double)={autograd64:+.9e} scratch-central-diff={numeric64:+.9e} "
          f"(rel {rel_fd:.1e}) fixture(f32)={fixture32:+.9e} (rel {rel_fx:.1e})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--no-fd", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    for d in sorted(p for p in args.dir.iterdir() if (p / "expected.safetensors").exists()):
        verify_folder(d, not args.no_fd)
    if failures:
        print(f"\n{len(failures)} FAILURES")
        for f in failures:
            print("  ", f)
        sys.exit(1)
    print("\nall fixture checks passed")


if __name__ == "__main__":
    main()
