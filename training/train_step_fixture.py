"""PyTorch's loss and LoRA gradients for `train_step.onnx` (grad_export.py) to be checked against:
writes parity/train-step.json, which src/runtime/train-step.test.ts runs through onnxruntime.

  /usr/bin/python3 train_step_fixture.py [../public/models/siteseg-tissue/model.onnx]

A third part takes 3 torch.optim.AdamW steps (lr 3e-3, no weight decay: train_adapter.py's) on
the same batch and records the losses and the adapter after them. The model is the checkpoint recovered from model.onnx (as from_onnx.py does) with lora.py's
LoraConv2d injected (r=2, alpha=3: scaling 1.5), A and B both random and non-zero, in eval
mode, and the loss train_adapter.py minimises (F.cross_entropy + train.soft_dice_loss). A
second case weights pixels with a random 0/1 mask (the graph's `weight` input). The input has a
zero region, so flat activations put ties into MaxPool windows (PyTorch: first maximum wins).
"""
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
from lora import LoraConfig, inject, lora_state_dict
from from_onnx import model_from_onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def f32list(a):
    """float32 values as the shortest decimals that read back to the same float32 (a smaller file)."""
    return [float(repr(v)) for v in np.asarray(a, np.float32).ravel()]


def soft_dice_loss(logits, target, n):  # train.py's, copied so this file needs no data imports
    p = logits.softmax(1)
    oh = F.one_hot(target, n).permute(0, 3, 1, 2).float()
    inter = (p * oh).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + oh.sum((0, 2, 3))
    return 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


def weighted_loss(logits, target, w, n):
    """The graph's loss with per-pixel weights w [N,1,H,W]; equal to CE + soft Dice for w = 1."""
    oh = F.one_hot(target, n).permute(0, 3, 1, 2).to(logits.dtype)
    logp = logits.log_softmax(1)
    p = logp.exp()
    ce = -(w * oh * logp).sum() / w.sum()
    inter = (w * p * oh).sum((0, 2, 3))
    denom = (w * p).sum((0, 2, 3)) + (w * oh).sum((0, 2, 3))
    return ce + 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


def grads(model, x, y, w, dtype):
    model = model.to(dtype)
    for p in model.parameters():
        p.grad = None
    logits = model(x.to(dtype))
    loss = (F.cross_entropy(logits, y) + soft_dice_loss(logits, y, 4)) if w is None else weighted_loss(logits, y, w.to(dtype), 4)
    loss.backward()
    out = {n[len("base_model.model."):]: None for n in lora_state_dict(model)}
    named = dict(model.named_parameters())
    for k in out:
        out[k] = named[k].grad.detach().double().numpy()
    return loss.item(), out


def main():
    torch.set_num_threads(1)
    onnx_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "public", "models", "siteseg-tissue", "model.onnx")
    cfg = LoraConfig(r=2, lora_alpha=3, target_modules=["conv1", "conv2"])
    model = model_from_onnx(onnx_path)
    inject(model, cfg)
    model.eval()
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.02)  # a trained adapter's scale (at 0.05, on 0.4.0, float32 autograd itself strayed 7.5e-4 from float64; now 4.5e-6)
    rng = np.random.default_rng(7)
    N, H, W = 2, 32, 32
    x = rng.random((N, 3, H, W), dtype=np.float32)
    x[:, :, :, :12] = 0  # a flat region: tied MaxPool windows
    y = rng.integers(0, 4, (N, H, W))
    y[:, 8:20, 14:26] = 3  # and some structure
    mask = (rng.random((N, 1, H, W)) < 0.6).astype(np.float32)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    # the two loss definitions agree for w = 1
    with torch.no_grad():
        lg = model(xt)
        a = (F.cross_entropy(lg, yt) + soft_dice_loss(lg, yt, 4)).item()
        b = weighted_loss(lg, yt, torch.ones(N, 1, H, W), 4).item()
    assert abs(a - b) < 1e-5, (a, b)

    cases = []
    for name, w in (("train_adapter", None), ("masked", torch.from_numpy(mask))):
        loss32, g32 = grads(model, xt, yt, w, torch.float32)
        loss64, g64 = grads(model, xt, yt, w, torch.float64)
        model.float()
        # how far float32 autograd is from float64: the floor for any float32 implementation
        noise = max(float(np.abs(g32[k] - g64[k]).max() / np.abs(g64[k]).max()) for k in g32)
        print(f"{name}: loss {loss32:.6f} (float64 {loss64:.6f}); float32 vs float64 gradient: max rel {noise:.2e}")
        cases.append({"name": name, "weight": None if w is None else [int(v) for v in mask.ravel()], "loss": loss32, "loss64": loss64,
                      "float32VsFloat64": noise,
                      "grads": {k: {"shape": list(v.shape), "data": f32list(v)} for k, v in g32.items()}})
    # a few optimizer steps, as train_adapter.py takes them, for src/core/train's loop end to end
    start = {k: v.clone() for k, v in model.state_dict().items() if "lora_" in k}

    def adamw_steps(dtype):
        model.load_state_dict(start, strict=False)
        model.to(dtype)
        params = [p for n, p in model.named_parameters() if "lora_" in n]
        opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0.0)
        losses = []
        for _ in range(3):
            logits = model(xt.to(dtype))
            loss = F.cross_entropy(logits, yt) + soft_dice_loss(logits, yt, 4)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        with torch.no_grad():
            logits = model(xt.to(dtype))
            losses.append((F.cross_entropy(logits, yt) + soft_dice_loss(logits, yt, 4)).item())
        return losses, {k: v.double().numpy().copy() for k, v in lora_state_dict(model).items()}  # a copy: not the live parameter

    losses64, trained64 = adamw_steps(torch.float64)
    losses, trained = adamw_steps(torch.float32)
    # Adam steps each parameter by about lr whatever its gradient's size, so where a gradient is near
    # zero, float32 rounding alone can move the result by a sizeable part of lr: the floor for the test
    param_noise = max(float(np.abs(trained[k] - trained64[k]).max()) for k in trained)
    print("AdamW steps, losses", losses, f"float32 vs float64 parameters: max {param_noise:.2e} = {param_noise / 3e-3:.2e} lr")
    model.float()
    model.load_state_dict(start, strict=False)
    training = {"lr": 3e-3, "weightDecay": 0.0, "betas": [0.9, 0.999], "eps": 1e-8, "losses": losses, "float32VsFloat64": param_noise,
                "tensors": {k: {"shape": list(v.shape), "data": f32list(v)} for k, v in trained.items()}}
    fixture = {
        "about": "training/train_step_fixture.py: PyTorch (lora.py LoraConv2d on the checkpoint recovered from model.onnx, eval mode) loss and autograd gradients of every LoRA A and B (PEFT names, unscaled B)",
        "config": {"r": cfg.r, "lora_alpha": cfg.lora_alpha, "target_modules": cfg.target_modules, "peft_type": "LORA", "base_model_name_or_path": "siteseg-tissue"},
        "tensors": {k: {"shape": list(v.shape), "data": f32list(v.numpy())} for k, v in lora_state_dict(model).items()},
        "image": {"dims": list(x.shape), "data": f32list(x)},
        "labels": {"dims": list(y.shape), "data": y.ravel().tolist()},
        "tolerance": {"relative": 1e-4, "absolute": 1e-6, "loss": 1e-5,
                      "rule": "per tensor: max|onnx - torch| <= relative * max|torch| + absolute; |loss - torch| <= loss * max(1, |torch|)"},
        "cases": cases,
        "training": training,
    }
    out = os.path.join(HERE, "parity", "train-step.json")
    with open(out, "w") as f:
        json.dump(fixture, f)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
