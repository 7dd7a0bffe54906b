// What every bench line is measured on: the machine, and how loaded it was (uptime's load average).
import { cpus, loadavg, totalmem } from "node:os";

export const machine = () => `${cpus()[0]?.model ?? "cpu"} ×${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;

/** The 1, 5 and 15 minute load averages, as uptime prints them. */
export const loadAverage = () => loadavg().map((x) => x.toFixed(2)).join(", ");

/** The middle value (the upper middle of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** BENCH_QUICK=1: a smoke run of the bench's code (few steps, few cases): its numbers are not measurements. */
export const QUICK = process.env.BENCH_QUICK === "1";
