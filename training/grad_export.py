"""Export `train_step.onnx`: one LoRA training step's loss and gradients as a plain ONNX graph.

  /usr/bin/python3 grad_export.py ../public/models/siteseg-tissue

onnxruntime-web has no training API and torch 1.13 cannot export autograd, so this file writes
the backward pass by hand with onnx.helper: a small reverse-mode tape over the ops the U-Net
uses (Conv + eval BatchNorm + ReLU with a LoRA branch, MaxPool 2x2, nearest x2 Resize, Concat,
the 1x1 head) and the loss of train_adapter.py (cross-entropy + soft Dice). The base weights
are read from model.onnx (the weights of record) and are constants; only the LoRA A and B
inputs get gradients. The optimizer runs in TypeScript (src/core/train/).

Inputs: everything model.onnx takes (image [N,3,H,W], H and W multiples of 8; lora.<module>.A [R,Cin,3,3] and
lora.<module>.B [Cout,R,1,1], with the LoRA scaling alpha/r already folded into B, exactly as
the app feeds model.onnx; R may be the manifest's maxRank with zero padding, or the adapter's
own rank), plus
  target [N,4,H,W] float  one-hot class per pixel (soft targets work too)
  weight [N,1,H,W] float  per-pixel weight: all ones is train_adapter.py's loss exactly; 0 marks
                          unlabelled / padded pixels (sum(weight) must be > 0)
Outputs:
  loss []                 CE + soft Dice (below)
  grad.lora.<module>.A / grad.lora.<module>.B: dLoss/d(input), same shapes as the inputs.
                          For PEFT's unscaled B: dL/dB_peft = scaling * grad.B.

Loss (w = weight, p = softmax(logits), oh = target; sums over batch and pixels):
  CE   = -sum(w * sum_c oh*log p) / sum(w)                     (= F.cross_entropy's mean for w=1)
  Dice = 1 - mean_{c=1..3} (2*sum(w p_c oh_c) + 1) / (sum(w p_c) + sum(w oh_c) + 1)
  loss = CE + Dice                                             (= train.py's soft_dice_loss for w=1)

MaxPool's gradient goes to the FIRST maximum of each 2x2 window in row-major order, as
PyTorch's CPU kernel does, so tied windows (flat background) match PyTorch exactly.
"""
import argparse, hashlib, os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from from_onnx import widths_of

EPS_BN = 1e-5
NUM_CLASSES = 4
BIG = np.iinfo(np.int64).max


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def fresh(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def op(self, kind, inputs, hint=None, n_out=1, out=None, **attrs):
        outs = [out] if out else [self.fresh(hint or kind) for _ in range(n_out)]
        if kind == "Conv":  # spelt out: onnxruntime-web's WebGPU Conv refuses a node without them ("dilations should be 2D")
            attrs = {"dilations": [1, 1], "strides": [1, 1], "group": 1, "pads": [0, 0, 0, 0], **attrs}
        self.nodes.append(helper.make_node(kind, inputs, outs, name=self.fresh("n_" + kind), **attrs))
        return outs[0] if n_out == 1 else outs

    def wide(self, kind, inputs, hint=None, **attrs):
        """Concat or Sum of many inputs, nested so that no node binds more than 8 buffers (its inputs
        and output): WebGPU's default maxStorageBuffersPerShaderStage; onnxruntime-web's WebGPU EP does
        not split, and a wider node fails with only an uncaught validation error (garbage, no throw)."""
        while len(inputs) > 7:
            inputs = [self.op(kind, inputs[:7], **attrs)] + inputs[7:]
        return self.op(kind, inputs, hint, **attrs)

    def const(self, arr, hint="c"):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.array(arr, order="C"), name))
        return name

    def i64(self, values, hint="shape"):
        return self.const(np.array(values, np.int64), hint)

    def f32(self, values, hint="k"):
        return self.const(np.array(values, np.float32), hint)


class Builder:
    """Forward ops that record their backward on a tape; `backward` replays it in reverse."""

    def __init__(self, g: Graph):
        self.g, self.tape, self.grads = g, [], {}
        self.zero = g.f32(0.0, "zero")
        self.one = g.f32(1.0, "one")

    def flip_t(self, w):
        """[O,I,kh,kw] -> [I,O,kh,kw] flipped in space: Conv with it is ConvTranspose with w (pad 1, stride 1)."""
        g = self.g
        return g.op("Slice", [g.op("Transpose", [w], perm=[1, 0, 2, 3]), g.i64([-1, -1]), g.i64([-BIG - 1, -BIG - 1]),
                              g.i64([2, 3]), g.i64([-1, -1])], "flip")

    # The LoRA down-projection (3x3, pad 1, rank R outputs) and its gradients as MatMuls plus the 9
    # shifts of an R-channel tensor (Pad and Slice), never a Conv whose weight is an activation nor
    # an im2col of the wide input: onnxruntime's Conv with R=2 outputs or an image-sized kernel
    # spends its time in im2col on the CPU (the training step ran 165 ms, now 115 ms in ORT-node),
    # and the latter fails in onnxruntime-web's WebGPU EP.
    def shifts(self, t, sign, per_channel=False):
        """The 9 copies of t [M, C, H, W] moved by sign*(ky-1, kx-1), k = ky*3+kx, zero-filled: a list
        (per_channel: copy k is channel k of t alone, C = 9)."""
        g = self.g
        padded = g.op("Pad", [t, g.i64([0, 0, 1, 1, 0, 0, 1, 1])])
        hw = g.op("Shape", [t], start=2, end=4)
        out = []
        for k in range(9):
            ky, kx = divmod(k, 3)
            start = [1 + sign * (1 - ky), 1 + sign * (1 - kx)]   # t'[h] = t[h - sign*(ky-1)]
            end = g.op("Add", [hw, g.i64(start)])
            if per_channel:
                start, end = [k] + start, g.op("Concat", [g.i64([k + 1]), end], axis=0)
            out.append(g.op("Slice", [padded, g.i64(start), end, g.i64([1, 2, 3] if per_channel else [2, 3])]))
        return out

    def nr_shape(self, like, *tail):
        """[N, -1, *tail] with N the batch of `like` (tail: i64 names or lists)."""
        g = self.g
        parts = [g.op("Shape", [like], start=0, end=1), g.i64([-1])]
        return g.op("Concat", parts + [t if isinstance(t, str) else g.i64(t) for t in tail], axis=0)

    def lora_down(self, x, A, c_in):
        """low[n,r,h,w] = sum_{c,ky,kx} A[r,c,ky,kx] x[n,c,h+ky-1,w+kx-1]: A as [R*9, Cin] times x gives
        every tap at every pixel (a GEMM with K = Cin); each pixel then sums its 9 neighbours' taps."""
        g = self.g
        A2 = g.op("Reshape", [g.op("Transpose", [A], perm=[0, 2, 3, 1]), g.i64([-1, c_in])], "A2")   # [R*9, Cin]
        taps = g.op("MatMul", [A2, g.op("Reshape", [x, g.i64([0, 0, -1])])], "taps")                    # [N, R*9, HW]
        hw = g.op("Shape", [x], start=2, end=4)
        taps4 = g.op("Reshape", [taps, g.op("Concat", [g.i64([-1, 9]), hw], axis=0)])                  # [N*R, 9, H, W]
        low1 = g.wide("Sum", self.shifts(taps4, -1, per_channel=True))    # tap k read at offset (ky-1, kx-1)
        return g.op("Reshape", [low1, self.nr_shape(x, hw)], "low")                                   # [N, R, H, W]

    def lora_down_grads(self, x, glow, A, c_in, gA_name, needs_gx):
        """dL/dA[r,c,ky,kx] = sum_{n,h,w} glow[n,r,h,w] x[n,c,h+ky-1,w+kx-1] and the LoRA path's input
        gradient gx[n,c,h,w] = sum_{r,ky,kx} A[r,c,ky,kx] glow[n,r,h-ky+1,w-kx+1], both from glow's 9
        shifts S [N, R*9, HW]: dL/dA = sum_n x S^T (K = H*W), gx = A^T S (K = R*9)."""
        g = self.g
        hw = g.op("Shape", [glow], start=2, end=4)
        g1 = g.op("Reshape", [glow, g.op("Concat", [g.i64([-1, 1]), hw], axis=0)])                    # [N*R, 1, H, W]
        S = g.op("Reshape", [g.wide("Concat", self.shifts(g1, 1), axis=1), self.nr_shape(glow, g.op("ReduceProd", [hw], keepdims=1))])            # [N, R*9, HW]
        x3 = g.op("Reshape", [x, g.i64([0, 0, -1])])
        per_n = g.op("MatMul", [x3, g.op("Transpose", [S], perm=[0, 2, 1])])                           # [N, Cin, R*9]
        gAT = g.op("Reshape", [g.op("ReduceSum", [per_n, g.i64([0])], keepdims=0), g.i64([c_in, -1, 3, 3])])
        g.op("Transpose", [gAT], out=gA_name, perm=[1, 0, 2, 3])                                      # [R, Cin, 3, 3]
        if not needs_gx:
            return None
        AT = g.op("Transpose", [g.op("Reshape", [g.op("Transpose", [A], perm=[0, 2, 3, 1]), g.i64([-1, c_in])])], perm=[1, 0])
        return g.op("Reshape", [g.op("MatMul", [AT, S]), g.op("Shape", [x])], "gx_lora")             # [N, Cin, H, W]

    # ---- forward ops -------------------------------------------------------------------
    def lora_conv_bn_relu(self, x, W, b, bn, A, B, needs_gx, gA_name, gB_name):
        g = self.g
        c_in = W.shape[1]
        gamma, beta, mean, var = bn
        s = gamma / np.sqrt(var + EPS_BN)
        Wf = g.const((W * s[:, None, None, None]).astype(np.float32), "W")     # BN folded into the conv
        bf = g.const(((b - mean) * s + beta).astype(np.float32), "b")
        # the input gradient's weight, made from Wf in the graph (ORT folds it at load; the file keeps one copy)
        W_flip = self.flip_t(Wf) if needs_gx else None
        s_col = g.const(s.reshape(-1, 1, 1, 1).astype(np.float32), "bn_scale")
        Bs = g.op("Mul", [B, s_col], "Bs")                                    # BN scale on the LoRA path
        base = g.op("Conv", [x, Wf, bf], "base", pads=[1, 1, 1, 1])
        low = self.lora_down(x, A, c_in)
        y = g.op("Relu", [g.op("Add", [base, g.op("Conv", [low, Bs], "lora")], "z")], "y")

        def back(gy):
            gz = g.op("Where", [g.op("Greater", [y, self.zero]), gy, self.zero], "gz")
            # B (1x1): gBs[o,k] = sum_{n,h,w} gz[n,o,h,w] low[n,k,h,w], as batched MatMul + sum over n
            gz3 = g.op("Reshape", [gz, g.i64([0, 0, -1])])
            low3 = g.op("Transpose", [g.op("Reshape", [low, g.i64([0, 0, -1])])], perm=[0, 2, 1])
            gBs = g.op("ReduceSum", [g.op("MatMul", [gz3, low3]), g.i64([0])], keepdims=0)
            g.op("Mul", [g.op("Reshape", [gBs, g.i64([0, 0, 1, 1])]), s_col], out=gB_name)
            # input gradients as plain Convs (ORT's ConvTranspose is several times slower): a 1x1
            # conv's transpose is the conv with its weight transposed; a 3x3 pad-1 conv's, with it
            # transposed and flipped
            glow = g.op("Conv", [gz, g.op("Transpose", [Bs], perm=[1, 0, 2, 3])], "glow")
            gx_lora = self.lora_down_grads(x, glow, A, c_in, gA_name, needs_gx)
            if not needs_gx:
                return {}
            return {x: g.op("Add", [g.op("Conv", [gz, W_flip], pads=[1, 1, 1, 1]), gx_lora], "gx")}

        self.tape.append((y, back))
        return y

    def maxpool(self, x):
        g = self.g
        y = g.op("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])

        def back(gy):
            # the four phases of each window, in PyTorch's scan order (0,0) (0,1) (1,0) (1,1)
            ends, axes, steps = g.i64([BIG, BIG]), g.i64([2, 3]), g.i64([2, 2])
            phases = [g.op("Slice", [x, g.i64([a, b]), ends, axes, steps]) for a in (0, 1) for b in (0, 1)]
            eq = [g.op("Cast", [g.op("Equal", [p, y])], to=TensorProto.FLOAT) for p in phases]
            free, parts = self.one, []          # free: no earlier maximum in this window yet
            for e in eq:
                take = g.op("Mul", [e, free])
                parts.append(g.op("Mul", [take, gy]))
                free = g.op("Sub", [free, take])
            # [N, 4C, H/2, W/2] with channel (a*2+b)*C + c  ->  [N, C, H, W]
            return {x: g.op("DepthToSpace", [g.op("Concat", parts, axis=1)], "gpool", blocksize=2, mode="DCR")}

        self.tape.append((y, back))
        return y

    def upsample(self, x):
        g = self.g
        y = g.op("Resize", [x, "", g.f32([1, 1, 2, 2], "scales")], "up", mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")

        def back(gy):  # each input pixel fed a 2x2 block: sum it
            return {x: g.op("Mul", [g.op("AveragePool", [gy], kernel_shape=[2, 2], strides=[2, 2]), g.f32(4.0)], "gup")}

        self.tape.append((y, back))
        return y

    def concat(self, a, b, ca, cb):
        g = self.g
        y = g.op("Concat", [a, b], "cat", axis=1)

        def back(gy):
            ax = g.i64([1])
            return {a: g.op("Slice", [gy, g.i64([0]), g.i64([ca]), ax]),
                    b: g.op("Slice", [gy, g.i64([ca]), g.i64([ca + cb]), ax])}

        self.tape.append((y, back))
        return y

    def head(self, x, W, b):
        g = self.g
        Wc = g.const(W.astype(np.float32), "Whead")
        y = g.op("Conv", [x, Wc, g.const(b.astype(np.float32), "bhead")], "logits")
        WcT = g.const(np.ascontiguousarray(W.transpose(1, 0, 2, 3)).astype(np.float32), "WheadT")
        self.tape.append((y, lambda gy: {x: g.op("Conv", [gy, WcT], "ghead")}))
        return y

    # ---- backward ----------------------------------------------------------------------
    def backward(self, out, gout):
        self.grads = {out: gout}
        for y, back in reversed(self.tape):
            if y not in self.grads:
                continue
            for inp, gi in back(self.grads.pop(y)).items():
                self.grads[inp] = self.g.op("Add", [self.grads[inp], gi], "gacc") if inp in self.grads else gi


def loss_and_grad(g: Graph, z, target, weight):
    """CE + soft Dice (train.py's) with per-pixel weights; returns (loss, dLoss/dlogits)."""
    op = g.op
    ax1, ax_all = g.i64([1]), g.i64([0, 2, 3])
    zs = op("Sub", [z, op("ReduceMax", [z], axes=[1], keepdims=1)])
    logp = op("Sub", [zs, op("Log", [op("ReduceSum", [op("Exp", [zs]), ax1], keepdims=1)])], "logp")
    p = op("Exp", [logp], "p")
    wsum = op("ReduceSum", [weight], keepdims=0)                                 # scalar
    ce = op("Div", [op("Neg", [op("ReduceSum", [op("Mul", [op("Mul", [weight, target]), logp])], keepdims=0)]), wsum], "ce")
    wp = op("Mul", [weight, p])
    woh = op("Mul", [weight, target])
    inter = op("ReduceSum", [op("Mul", [wp, target]), ax_all], keepdims=1)      # [1,4,1,1]
    D = op("Add", [op("Add", [op("ReduceSum", [wp, ax_all], keepdims=1), op("ReduceSum", [woh, ax_all], keepdims=1)]), g.f32(1.0)])
    num = op("Add", [op("Mul", [inter, g.f32(2.0)]), g.f32(1.0)])
    cm = g.f32(np.array([0, 1, 1, 1], np.float32).reshape(1, 4, 1, 1) / 3, "class_mean")
    dice = op("Sub", [g.f32(1.0), op("ReduceSum", [op("Mul", [op("Div", [num, D]), cm])], keepdims=0)], "dice")
    loss = op("Add", [ce, dice], "loss_value")
    # dDice/dp = -cm * w * (2 oh D - num) / D^2 ; through softmax: p * (gp - sum_c p gp)
    gp = op("Mul", [op("Mul", [weight, op("Sub", [op("Mul", [target, op("Mul", [D, g.f32(2.0)])]), num])]),
                    op("Div", [op("Neg", [cm]), op("Mul", [D, D])])])
    gz_dice = op("Mul", [p, op("Sub", [gp, op("ReduceSum", [op("Mul", [p, gp]), ax1], keepdims=1)])])
    # dCE/dz = w * (p * sum_c oh - oh) / sum(w)
    gz_ce = op("Div", [op("Mul", [weight, op("Sub", [op("Mul", [p, op("ReduceSum", [target, ax1], keepdims=1)]), target])]), wsum])
    return loss, op("Add", [gz_ce, gz_dice], "glogits")


def build(onnx_path, out_path):
    src = onnx.load(onnx_path)
    w = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in src.graph.initializer}
    widths = widths_of(w)
    g = Graph()
    bld = Builder(g)
    dim = lambda *d: list(d)
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])]
    outputs = []
    slots = []

    def block(x, prefix, cin, cout, first):
        for j, c_in in ((1, cin), (2, cout)):
            mod = f"{prefix}.conv{j}"
            A, B = f"lora.{mod}.A", f"lora.{mod}.B"
            inputs.append(helper.make_tensor_value_info(A, TensorProto.FLOAT, dim("rank", c_in, 3, 3)))
            inputs.append(helper.make_tensor_value_info(B, TensorProto.FLOAT, dim(cout, "rank", 1, 1)))
            slots.append((A, B, c_in, cout))
            bn = [w[f"model.{prefix}.norm{j}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
            x = bld.lora_conv_bn_relu(x, w[f"model.{mod}.base.weight"], w[f"model.{mod}.base.bias"], bn, A, B,
                                      needs_gx=not (first and j == 1), gA_name=f"grad.{A}", gB_name=f"grad.{B}")
        return x

    x, skips, cin = "image", [], 3
    for i, cout in enumerate(widths):
        x = block(x, f"down.{i}", cin, cout, first=(i == 0))
        cin = cout
        if i < len(widths) - 1:
            skips.append((x, cout))
            x = bld.maxpool(x)
    for k, i in enumerate(range(len(widths) - 2, -1, -1)):
        skip, cs = skips.pop()
        x = bld.concat(bld.upsample(x), skip, widths[i + 1], cs)
        x = block(x, f"up.{k}", widths[i + 1] + cs, widths[i], first=False)
    logits = bld.head(x, w["model.head.weight"], w["model.head.bias"])

    inputs.append(helper.make_tensor_value_info("target", TensorProto.FLOAT, ["batch", NUM_CLASSES, "height", "width"]))
    inputs.append(helper.make_tensor_value_info("weight", TensorProto.FLOAT, ["batch", 1, "height", "width"]))
    loss, glogits = loss_and_grad(g, logits, "target", "weight")
    g.op("Identity", [loss], out="loss")
    bld.backward(logits, glogits)
    outputs.append(helper.make_tensor_value_info("loss", TensorProto.FLOAT, []))
    for A, B, c_in, cout in slots:
        outputs.append(helper.make_tensor_value_info(f"grad.{A}", TensorProto.FLOAT, dim("rank", c_in, 3, 3)))
        outputs.append(helper.make_tensor_value_info(f"grad.{B}", TensorProto.FLOAT, dim(cout, "rank", 1, 1)))
    graph = helper.make_graph(g.nodes, "siteseg_train_step", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="siteseg grad_export.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)  # shapes agree end to end
    onnx.save(model, out_path)
    digest = hashlib.sha256(open(out_path, "rb").read()).hexdigest()
    print(f"wrote {out_path}: {os.path.getsize(out_path)} bytes, {len(g.nodes)} nodes, sha256 {digest}")
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("modeldir", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "public", "models", "siteseg-tissue"))
    ap.add_argument("--out", default=None, help="default: <modeldir>/train_step.onnx")
    args = ap.parse_args()
    out = args.out or os.path.join(args.modeldir, "train_step.onnx")
    build(os.path.join(args.modeldir, "model.onnx"), out)
    if args.out is None:
        record_in_manifest(args.modeldir, out)


def record_in_manifest(modeldir, path):
    """files.trainStep in the model's manifest (export.py rewrites the manifest: run this after it)."""
    import json
    manifest_path = os.path.join(modeldir, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    with open(path, "rb") as f:
        data = f.read()
    manifest["files"]["trainStep"] = {"path": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    # the task's selfAdapt options (contract.json) run on this graph: offered once it is recorded
    from contract import TASKS
    task = next((t for t in TASKS.values() if t["name"] == manifest["name"]), {})
    options = manifest.setdefault("inference", {"options": []})["options"]
    options += [o for o in task.get("inference", {}).get("options", []) if o["kind"] == "selfAdapt" and o["id"] not in {x["id"] for x in options}]
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print("manifest:", manifest["files"]["trainStep"])


if __name__ == "__main__":
    main()
