/**
 * Timing of W1's implementations for `w1_bench.ts`: the first call, then the median, min and max
 * of repeated calls, one implementation after another or interleaved.
 *
 * @module
 */

/**
 * Z and dZ/dθ as read back to the host.
 *
 * @example
 * ```ts
 * import type { Result } from "./w1_measure.ts";
 * const r: Result = { z: 9.55, g: [1.5e-3, -2.28] };
 * ```
 */
export type Result = { z: number; g: [number, number] };

/**
 * One measured implementation at one size (times in ms).
 *
 * @example
 * ```ts
 * import type { Row } from "./w1_measure.ts";
 * declare const r: Row;
 * console.log(r.name, r.median);
 * ```
 */
export interface Row {
  /** The implementation. */
  name: string;
  /** Number of events. */
  n: number;
  /** The first call (trace, compile, run). */
  first: number;
  /** Median of the timed calls after the first. */
  median: number;
  /** Fastest timed call. */
  min: number;
  /** Slowest timed call. */
  max: number;
  /** Number of timed calls. */
  reps: number;
  /** What the first call returned. */
  result: Result;
  /** The row this one is printed as a ratio of. */
  base?: string;
}

/**
 * Times `run`: its first call, then `reps` calls.
 *
 * @example
 * ```ts
 * import { measure } from "./w1_measure.ts";
 * const row = await measure("noop", 1, 3, () => ({ z: 0, g: [0, 0] }));
 * console.log(row.median);
 * ```
 */
export async function measure(
  name: string,
  n: number,
  reps: number,
  run: () => Result | Promise<Result>,
  base?: string,
): Promise<Row> {
  let t = performance.now();
  const result = await run();
  const first = performance.now() - t;
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times.length
    ? (times[(times.length - 1) >> 1] + times[times.length >> 1]) / 2
    : first;
  return {
    name,
    n,
    first,
    median,
    min: times[0] ?? first,
    max: times.at(-1) ?? first,
    reps,
    result,
    base,
  };
}

/**
 * Like {@link measure} for several implementations, their timed calls interleaved (so load from
 * other processes hits every row alike).
 *
 * @example
 * ```ts
 * import { measureInterleaved } from "./w1_measure.ts";
 * const run = () => ({ z: 0, g: [0, 0] as [number, number] });
 * const [a, b] = await measureInterleaved(1, 3, [{ name: "a", run }, { name: "b", run, base: "a" }]);
 * ```
 */
export async function measureInterleaved(
  n: number,
  reps: number,
  impls: { name: string; run: () => Result | Promise<Result>; base?: string }[],
): Promise<Row[]> {
  const firsts: number[] = [], results: Result[] = [];
  for (const { run } of impls) {
    const t = performance.now();
    results.push(await run());
    firsts.push(performance.now() - t);
  }
  const times: number[][] = impls.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (const [i, { run }] of impls.entries()) {
      const t = performance.now();
      await run();
      times[i].push(performance.now() - t);
    }
  }
  return impls.map(({ name, base }, i) => {
    const ts = times[i].sort((a, b) => a - b);
    const median = ts.length ? (ts[(ts.length - 1) >> 1] + ts[ts.length >> 1]) / 2 : firsts[i];
    const [min, max] = [ts[0] ?? firsts[i], ts.at(-1) ?? firsts[i]];
    return { name, n, first: firsts[i], median, min, max, reps, result: results[i], base };
  });
}
