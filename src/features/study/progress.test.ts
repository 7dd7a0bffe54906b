import { describe, expect, it } from "vitest";
import { formatDuration, studyTimeLeft, studyTimeText } from "./progress";

describe("the study's elapsed time and estimate", () => {
  it("formats durations as m:ss or h:mm:ss", () => {
    expect([0, 7_400, 59_600, 754_000, 3_723_000, -5].map(formatDuration)).toEqual(["0:00", "0:07", "1:00", "12:34", "1:02:03", "0:00"]);
  });

  it("has no estimate before the first case ends", () => {
    expect(studyTimeLeft([], 12, 40_000)).toBeNull();
    expect(studyTimeText([], 12, 40_000)).toBe("Elapsed 0:40 · time left known after the first case");
  });

  it("estimates the mean case time times the cases left, less what the case under way has taken", () => {
    // two cases of 10 s and 20 s done (mean 15 s), 5 s into the third of 6: 4 × 15 − 5 = 55 s
    expect(studyTimeLeft([10_000, 20_000], 6, 35_000)).toBe(55_000);
    expect(studyTimeText([10_000, 20_000], 6, 35_000)).toBe("Elapsed 0:35 · about 0:55 left");
    // a case running longer than the mean leaves no negative time
    expect(studyTimeLeft([10_000], 2, 60_000)).toBe(0);
    // every case done
    expect(studyTimeLeft([10_000, 10_000], 2, 20_000)).toBe(0);
  });
});
