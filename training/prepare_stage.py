"""What a stage needs in the git-ignored training/data before it runs elsewhere (the GPU job's
`prepare.sh`; the device tool carries training/data): numpy and torch only there, so

- the SynthSeg label maps packed (data.pack_synthseg_maps; kept when already packed),
- fetal_sb's label maps packed, where the stage's "data" asks for them ("fetal": true),
- the start weights: where the stage has "init_from" {"onnx", "sha256"}, the shipped model.onnx
  (its sha256 checked, so a later base is never taken for the one the stage names) converted to
  the .pt at "init" (from_onnx.py: weights and BatchNorm statistics exactly), then loaded back as
  torch >= 2.6 loads it (weights_only).

  /usr/bin/python3 prepare_stage.py stages/gpu2.json data
"""
import argparse, hashlib, json, os
import torch
from data import FETAL_PACKED, PACKED, pack_fetal_maps, pack_synthseg_maps

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("data", help="the folder the job reads (train.py --data)")
    args = ap.parse_args()
    stage = json.load(open(args.config))
    if os.path.exists(os.path.join(args.data, PACKED)):
        print(f"{os.path.join(args.data, PACKED)}: kept (delete it to repack)")
    else:
        print(pack_synthseg_maps(args.data))
    if stage.get("data", {}).get("fetal"):
        print(pack_fetal_maps(args.data) if not os.path.exists(os.path.join(args.data, FETAL_PACKED)) else f"{FETAL_PACKED}: kept")
    src = stage.get("init_from")
    if src:
        onnx_path, pt = os.path.join(HERE, src["onnx"]), os.path.join(HERE, stage["init"])
        digest = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
        if digest != src["sha256"]:
            raise SystemExit(f"{src['onnx']} is not the model {args.config} starts from (sha256 {digest}, "
                             f"the stage names {src['sha256']}, version {src.get('version')}): update the stage")
        from from_onnx import model_from_onnx
        model = model_from_onnx(onnx_path)
        os.makedirs(os.path.dirname(pt), exist_ok=True)
        torch.save({"config": model.cfg.to_dict(), "state_dict": model.state_dict(), "step": src.get("step", 0),
                    "train_args": {"from_onnx": src["onnx"], "sha256": digest, "version": src.get("version")}}, pt)
        back = torch.load(pt, map_location="cpu", weights_only=True)["state_dict"]
        assert all(torch.equal(back[k], v) for k, v in model.state_dict().items())
        print(f"{pt}: {len(back)} tensors from {src['onnx']} ({src.get('version')}, sha256 checked; loads with weights_only)")


if __name__ == "__main__":
    main()
