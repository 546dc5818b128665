#!/usr/bin/env python3
"""Reference fixture for FedSim's mixture-of-experts LoRA MLP (CoMiGS), computed independently
with PyTorch autograd on the Hugging Face tiny-llama fixture.

Writes, under Tests/LearningTests/Fixtures/tiny-llama/:

  mixture.safetensors           the adapter: LoRA on q_proj and v_proj (shared), and per layer
                                E = 3 experts with LoRA on gate/up/down plus a router (E × d)
  mixture-expected.safetensors  input_ids, labels, logits (2, 16, 259), loss (cross-entropy mean
                                + λ · mean over layers of the load-balancing loss), balance, and
                                grad/<tensor> for every adapter tensor

Definitions (the ones FedSim documents, written here from scratch in torch):
  LoRA on a projection: y += s · (x Aᵀ) Bᵀ with s = alpha / r.
  MLP of layer l, x = post_attention_layernorm(h):
    out_e = down_e(silu(gate_e(x)) * up_e(x)), each projection the frozen base plus expert e's LoRA
    z = x W_rᵀ;  w = softmax over the top-k of z (0 elsewhere);  p = softmax(z)
    mlp(x) = Σ_e w_e out_e
  Load balancing: f_e = (tokens routing to e) / (tokens · k), P_e = mean_tokens p_e,
    c_e = G/(imp·E) for e < G, (E−G)/((1−imp)·E) otherwise;  LB = E² · mean_e(f_e P_e c_e)
  loss = cross_entropy(logits, labels, ignore -100, mean) + λ · mean_l LB_l

    .venv-ref/bin/python Tools/reference/make_mixture_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import LlamaForCausalLM

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "Tests" / "LearningTests" / "Fixtures" / "tiny-llama"

RANK, ALPHA = 4, 8.0
EXPERTS, GENERALISTS, TOP_K, IMPORTANCE, BALANCE = 3, 1, 2, 0.5, 0.05
SHARED = ["q_proj", "v_proj"]
EXPERT_TARGETS = ["gate_proj", "up_proj", "down_proj"]
PREFIX = "base_model.model.model.layers"


def name_shared(layer, proj, ab):
    return f"{PREFIX}.{layer}.self_attn.{proj}.lora_{ab}.weight"


def name_expert(layer, expert, proj, ab):
    kind, index = ("generalists", expert) if expert < GENERALISTS else ("specialists", expert - GENERALISTS)
    return f"{PREFIX}.{layer}.mlp.{kind}.{index}.{proj}.lora_{ab}.weight"


def name_router(layer):
    return f"{PREFIX}.{layer}.mlp.router.weight"


def lora(x, a, b):
    return (ALPHA / RANK) * (x @ a.T) @ b.T


def main():
    torch.manual_seed(0)
    model = LlamaForCausalLM.from_pretrained(FIXTURE, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    cfg = model.config
    d, f, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers

    g = torch.Generator().manual_seed(7)
    adapter = {}
    for layer in range(layers):
        for proj in SHARED:
            out = d if proj == "q_proj" else cfg.num_key_value_heads * (d // cfg.num_attention_heads)
            adapter[name_shared(layer, proj, "A")] = torch.randn(RANK, d, generator=g) * 0.3
            adapter[name_shared(layer, proj, "B")] = torch.randn(out, RANK, generator=g) * 0.3
        for expert in range(EXPERTS):
            for proj in EXPERT_TARGETS:
                inp, out = (f, d) if proj == "down_proj" else (d, f)
                adapter[name_expert(layer, expert, proj, "A")] = torch.randn(RANK, inp, generator=g) * 0.3
                adapter[name_expert(layer, expert, proj, "B")] = torch.randn(out, RANK, generator=g) * 0.3
        adapter[name_router(layer)] = torch.randn(EXPERTS, d, generator=g) * 0.5
    for t in adapter.values():
        t.requires_grad_(True)

    factors = [GENERALISTS / (IMPORTANCE * EXPERTS) if e < GENERALISTS else (EXPERTS - GENERALISTS) / ((1 - IMPORTANCE) * EXPERTS)
               for e in range(EXPERTS)]
    balances = []

    # Attention LoRA: wrap q_proj and v_proj.
    class LoRALinear(torch.nn.Module):
        def __init__(self, base, a, b):
            super().__init__()
            self.base, self.a, self.b = base, a, b

        def forward(self, x):
            return self.base(x) + lora(x, self.a, self.b)

    class MixtureMLP(torch.nn.Module):
        def __init__(self, base, layer):
            super().__init__()
            self.base, self.layer = base, layer

        def forward(self, x):
            l = self.layer
            outs = []
            for e in range(EXPERTS):
                def proj(name, inp):
                    weight = getattr(self.base, name).weight
                    return inp @ weight.T + lora(inp, adapter[name_expert(l, e, name, "A")], adapter[name_expert(l, e, name, "B")])
                act = F.silu(proj("gate_proj", x)) * proj("up_proj", x)
                outs.append(proj("down_proj", act))
            z = x @ adapter[name_router(l)].T
            top = torch.topk(z, TOP_K, dim=-1)
            masked = torch.full_like(z, float("-inf")).scatter(-1, top.indices, top.values)
            w = torch.softmax(masked, dim=-1)
            p = torch.softmax(z, dim=-1)
            tokens = z.shape[0] * z.shape[1]
            counts = torch.zeros(EXPERTS).scatter_add(0, top.indices.reshape(-1), torch.ones(tokens * TOP_K))
            fractions = counts / (tokens * TOP_K)
            mean_p = p.reshape(-1, EXPERTS).mean(dim=0)
            balances.append(EXPERTS * EXPERTS * torch.mean(fractions * mean_p * torch.tensor(factors)))
            return sum(w[..., e:e + 1] * outs[e] for e in range(EXPERTS))

    for layer, block in enumerate(model.model.layers):
        block.self_attn.q_proj = LoRALinear(block.self_attn.q_proj, adapter[name_shared(layer, "q_proj", "A")],
                                            adapter[name_shared(layer, "q_proj", "B")])
        block.self_attn.v_proj = LoRALinear(block.self_attn.v_proj, adapter[name_shared(layer, "v_proj", "A")],
                                            adapter[name_shared(layer, "v_proj", "B")])
        block.mlp = MixtureMLP(block.mlp, layer)

    expected = load_file(str(FIXTURE / "expected.safetensors"))
    input_ids = expected["input_ids"].long()
    labels = expected["labels"].long()
    logits = model(input_ids=input_ids, use_cache=False).logits
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    balance = BALANCE * torch.stack(balances).mean()
    loss = ce + balance
    loss.backward()

    out = {"input_ids": input_ids.to(torch.int32), "labels": labels.to(torch.int32), "logits": logits.detach().contiguous(),
           "loss": loss.detach().reshape(1), "balance": balance.detach().reshape(1)}
    for name, t in adapter.items():
        out["grad/" + name] = t.grad.detach().contiguous()
    meta = {"rank": str(RANK), "alpha": str(ALPHA), "experts": str(EXPERTS), "generalists": str(GENERALISTS),
            "top_k": str(TOP_K), "importance": str(IMPORTANCE), "balance_weight": str(BALANCE),
            "shared": ",".join(SHARED), "expert_targets": ",".join(EXPERT_TARGETS), "torch": torch.__version__}
    save_file({k: v.detach().contiguous() for k, v in adapter.items()}, str(FIXTURE / "mixture.safetensors"), metadata=meta)
    save_file(out, str(FIXTURE / "mixture-expected.safetensors"), metadata=meta)
    print(f"loss {loss.item():.6f} (balance {balance.item():.6f}); wrote {FIXTURE}/mixture*.safetensors")


if __name__ == "__main__":
    main()
