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
});
