import { describe, expect, it } from "vitest";
import { contrastFamily, contrastProfile } from "./profile";

describe("contrast profile", () => {
  const names = ["background", "CSF", "GM", "WM"];
  // 100 voxels per class, intensities spread around a level per class
  const volume = (levels: [number, number, number]) => {
    const classes: number[] = [], scan: number[] = [];
    levels.forEach((level, c) => {
      for (let i = 0; i < 100; i++) {
        classes.push(c + 1);
        scan.push(level + (i % 10) - 4.5);
      }
    });
    for (let i = 0; i < 50; i++) {
      classes.push(0); // background never counts
      scan.push(1000);
    }
    return { scan, classes };
  };

  it("is each class's median on the brain's 2nd-98th percentile scale", () => {
    const { scan, classes } = volume([10, 50, 90]);
    const p = contrastProfile(scan, classes, names);
    expect(p.CSF).toBeLessThan(0.05);
    expect(p.GM).toBeCloseTo(0.5, 1);
    expect(p.WM).toBeGreaterThan(0.9);
    expect(contrastFamily(p)).toBe("T1-like");
  });

  it("tells T2-like (WM darker than GM) from T1-like, and says nothing without the classes", () => {
    const { scan, classes } = volume([90, 50, 30]);
    expect(contrastFamily(contrastProfile(scan, classes, names))).toBe("T2/FLAIR/PD-like");
    const none = contrastProfile([1, 2, 3], [0, 0, 0], names);
    expect(none).toEqual({ CSF: null, GM: null, WM: null });
    expect(contrastFamily(none)).toBeNull();
  });

  it("calls an unmyelinated fetal T2 (WM above its cortex, CSF brightest) T2-like, not T1-like", () => {
    // fetal_sb GA24 under its reference: CSF 0.82, GM 0.13, WM 0.30
    const { scan, classes } = volume([85, 15, 32]);
    const p = contrastProfile(scan, classes, names);
    expect(p.WM! - p.GM!).toBeGreaterThan(0.08);
    expect(contrastFamily(p)).toBe("T2/FLAIR/PD-like");
    expect(contrastFamily({ CSF: 0.824, GM: 0.134, WM: 0.299 })).toBe("T2/FLAIR/PD-like");
  });

  it("gives exactly the order statistics of a full sort, with ties, NaNs and a class too small", () => {
    // the rule written the plain way: sort, then index
    const bySorting = (scan: number[], classes: number[]) => {
      const brain = scan.filter((v, i) => classes[i] > 0 && Number.isFinite(v)).sort((a, b) => a - b);
      const at = (q: number) => brain[Math.floor(q * (brain.length - 1))];
      const lo = at(0.02), span = at(0.98) - lo || 1;
      return Object.fromEntries(names.slice(1).map((name, c) => {
        const vs = scan.filter((v, i) => classes[i] === c + 1 && Number.isFinite(v)).sort((a, b) => a - b);
        return [name, vs.length < 10 ? null : Math.round(Math.min(1, Math.max(0, (vs[(vs.length - 1) >> 1] - lo) / span)) * 1000) / 1000];
      }));
    };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 20; trial++) {
      const n = 200 + trial * 97;
      const classes = Array.from({ length: n }, () => Math.floor(rand() * (trial % 5 === 0 ? 3.02 : 4)));
      const scan = classes.map((c) => (trial % 2 ? Math.round(rand() * 20) + c * 5 : rand() * 100 + c * 30));
      scan[3] = NaN;
      expect(contrastProfile(scan, classes, names), `trial ${trial}`).toEqual(bySorting(scan, classes));
    }
  });

  it("read from a sample of the voxels (the page's thread) it gives the whole scan's profile, whatever the row length", () => {
    // classes by column of rows 128 long: a fixed stride of 128 would read a single class
    const n = 128 * 128 * 64;
    const classes = new Uint8Array(n), scan = new Float32Array(n);
    let seed = 7;
    for (let i = 0; i < n; i++) {
      classes[i] = (i % 128) % 4;
      seed = (seed * 48271) % 2147483647;
      scan[i] = [0, 30, 60, 90][classes[i]] + (seed / 2147483647) * 20;
    }
    const whole = contrastProfile(scan, classes, names);
    const sampled = contrastProfile(scan, classes, names, 128 * 128); // every 64th voxel at random
    for (const name of names.slice(1)) expect(Math.abs((sampled[name] as number) - (whole[name] as number)), name).toBeLessThan(0.01);
    expect(contrastFamily(sampled)).toBe(contrastFamily(whole));
  });
});
