import { describe, expect, it } from "vitest";
import { copySteps, runSteps, type Steps } from "./steps";

describe("work done in steps", () => {
  it("copies voxels in steps, of any type, exactly", async () => {
    const data = Int16Array.from({ length: 1000 }, (_, i) => i * 7 - 3000);
    const steps = copySteps(data, 300);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    expect(yields).toBe(3); // 4 slabs of up to 300
    expect(r.value).toBeInstanceOf(Int16Array);
    expect(r.value).toEqual(data);
    expect(r.value.buffer).not.toBe(data.buffer);
    expect(await runSteps(copySteps(data, 300), () => true)).toEqual(data);
  });

  it("stops when its caller no longer wants the result, and the work cleans up after itself", async () => {
    const log: string[] = [];
    function* work(): Steps<string> {
      try {
        for (let i = 0; i < 5; i++) {
          log.push(`step ${i}`);
          yield;
        }
        return "done";
      } finally {
        log.push("cleaned up");
      }
    }
    let wanted = true;
    const run = runSteps(work(), () => wanted);
    await Promise.resolve();
    wanted = false; // a newer scan was opened meanwhile
    expect(await run).toBeNull();
    expect(log).toEqual(["step 0", "cleaned up"]);
    log.length = 0;
    expect(await runSteps(work(), () => true)).toBe("done");
    expect(log.at(-1)).toBe("cleaned up");
  });
});
