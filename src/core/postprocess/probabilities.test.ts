import { describe, expect, it } from "vitest";
import { softmaxToBytes } from "./probabilities";

describe("softmaxToBytes", () => {
  // one item, 2 classes, a 1 x 2 slice written to voxels 0 and 1 of a 2-voxel grid
  const write = (logits: number[], probs: Uint8Array, earlier: number) => softmaxToBytes(Float32Array.from(logits), 0, 2, 1, 2, (_, x) => x, probs, 2, earlier);

  it("writes softmax bytes, class-major, then averages later passes into them", () => {
    const probs = new Uint8Array(4);
    write([0, 10, 0, -10], probs, 0); // logits [class, x]: voxel 0 even, voxel 1 class 0; bytes class-major
    expect(Array.from(probs)).toEqual([128, 255, 128, 0]);
    write([-100, -100, 100, 100], probs, 1); // now class 1 certain at both: the mean of 2 passes
    expect(Array.from(probs)).toEqual([64, 128, 192, 128]);
    write([-100, -100, 100, 100], probs, 2); // a third pass weighs a third
    expect(Array.from(probs)).toEqual([43, 85, 213, 170]);
  });
});
