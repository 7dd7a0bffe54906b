"""An int8 base for the speed experiment of issue 13 (BENCHMARKS.md, "An int8 base"); not shipped.

  /usr/bin/python3 quantise.py plain OUT          the shipped base without adapter slots (weights
                                                  recovered from model.onnx, BatchNorm folded by the
                                                  export), a manifest that `siteseg --model OUT`
                                                  reads, and OUT/calibration/ (the graph with every
                                                  tensor to quantise as an output, and their names)
  /usr/bin/python3 quantise.py int8 PLAIN RANGES OUT
                                                  QDQ int8 of PLAIN: per-channel symmetric int8
                                                  weights, int32 biases, uint8 activations over the
                                                  calibrated [min, max] in RANGES (bench/int8.ts
                                                  writes it from the sample scans); onnxruntime
                                                  fuses each Conv(+Relu) into a QLinearConv

Only the base can be quantised ahead: with an adapter the app merges W + B.A per run (export.py,
SlotConv2d), so the weights are not constants there. onnxruntime's own quantisation tools are not
installed here; this writes the QDQ pattern they write.
"""
import argparse, hashlib, json, os
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "public", "models", "siteseg-tissue")


def write_manifest(out, model_path, note, tag):
    """The shipped manifest for a slotless copy: no adapters, no selfAdapt option (it trains slots)."""
    m = json.load(open(os.path.join(SHIPPED, "manifest.json")))
    data = open(model_path, "rb").read()
    m["id"], m["name"] = f"{m['id']}-{tag}", f"{m['name']} ({note})"
    m["files"] = {"model": {"path": "model.onnx", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}
    m["adapters"] = {**m["adapters"], "slots": [], "shipped": []}
    m["inference"]["options"] = [o for o in m["inference"]["options"] if o["kind"] != "selfAdapt"]
    json.dump(m, open(os.path.join(out, "manifest.json"), "w"), indent=2)


def plain(out):
    from from_onnx import model_from_onnx
    model = model_from_onnx(os.path.join(SHIPPED, "model.onnx")).eval()
    os.makedirs(os.path.join(out, "calibration"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, torch.randn(4, 3, 192, 192), path, opset_version=17, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}}, do_constant_folding=True)
    write_manifest(out, path, "float, no slots", "float")
    # every activation a QLinearConv reads or writes: Conv inputs and Relu outputs
    m = onnx.load(path)
    names = []
    for n in m.graph.node:
        t = n.input[0] if n.op_type == "Conv" else n.output[0] if n.op_type == "Relu" else None
        if t and t not in names:
            names.append(t)
    for t in names:
        if t not in {o.name for o in m.graph.output}:
            m.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    onnx.save(m, os.path.join(out, "calibration", "model.onnx"))
    json.dump(names, open(os.path.join(out, "calibration", "tensors.json"), "w"))
    print(f"wrote {out}: {len(m.graph.node)} nodes, {len(names)} tensors to calibrate")


def int8(plain_dir, ranges_path, out):
    m = onnx.load(os.path.join(plain_dir, "model.onnx"))
    g, ranges = m.graph, json.load(open(ranges_path))
    init = {i.name: i for i in g.initializer}
    added, scale = [], {}
    for t, r in ranges.items():
        lo, hi = min(r["min"], 0.0), max(r["max"], 1e-6)
        scale[t] = (hi - lo) / 255.0
        added += [numpy_helper.from_array(np.array(scale[t], np.float32), t + "_s"), numpy_helper.from_array(np.array(round(-lo / scale[t]), np.uint8), t + "_zp")]

    def qdq(t):
        return [helper.make_node("QuantizeLinear", [t, t + "_s", t + "_zp"], [t + "_q"]), helper.make_node("DequantizeLinear", [t + "_q", t + "_s", t + "_zp"], [t + "_dq"])]

    def dq_const(name, q, s, zp):
        added.extend([numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(s, name + "_s"), numpy_helper.from_array(zp, name + "_zp")])
        return helper.make_node("DequantizeLinear", [name + "_q", name + "_s", name + "_zp"], [name + "_dq"], axis=0)

    nodes = qdq("image") if "image" in ranges else []
    for n in g.node:
        x = n.input[0] if n.input else None
        for i, t in enumerate(n.input):
            if t in ranges:
                n.input[i] = t + "_dq"
        if n.op_type == "Conv":
            W = numpy_helper.to_array(init[n.input[1]])
            sw = np.maximum(np.abs(W).reshape(len(W), -1).max(1), 1e-8) / 127.0
            nodes.append(dq_const(n.input[1], np.clip(np.round(W / sw[:, None, None, None]), -127, 127).astype(np.int8), sw.astype(np.float32), np.zeros(len(W), np.int8)))
            n.input[1] += "_dq"
            if len(n.input) > 2:  # int32 bias at input scale x weight scale, as QLinearConv takes it
                sb = (scale[x] * sw).astype(np.float32)
                nodes.append(dq_const(n.input[2], np.round(numpy_helper.to_array(init[n.input[2]]) / sb).astype(np.int32), sb, np.zeros(len(W), np.int32)))
                n.input[2] += "_dq"
        nodes.append(n)
        nodes += [q for o in n.output if o in ranges for q in qdq(o)]
    del g.node[:]
    g.node.extend(nodes)
    used = {t for n in g.node for t in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + added)
    onnx.checker.check_model(m)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    onnx.save(m, path)
    write_manifest(out, path, "int8, no slots", "int8")
    print(f"wrote {out}: {os.path.getsize(path)} bytes")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plain"); p.add_argument("out")
    q = sub.add_parser("int8"); q.add_argument("plain"); q.add_argument("ranges"); q.add_argument("out")
    a = ap.parse_args()
    plain(a.out) if a.cmd == "plain" else int8(a.plain, a.ranges, a.out)


if __name__ == "__main__":
    main()
