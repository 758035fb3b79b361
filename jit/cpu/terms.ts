/**
 * Split runs of kernels whose sums over the split loop must keep the one-thread order (`exact`
 * precision): chunks store every term in the arena and the main thread replays them in order.
 *
 * @module
 */
import type { TypedArray } from "../../core/dtype.ts";
import {
  align8,
  ARENA_MAX,
  CHUNK_WORK,
  codeOf,
  inputLayout,
  type Pool,
  publish,
  writeJob,
} from "./pool.ts";
import type { SplitCode, SplitInfo } from "./parallel.ts";
import { CTL, type Job, OUT_KIND, type OutDesc, runChunk, sharedView } from "./worker_loop.ts";
import { reduceInit } from "../kernel_ir.ts";

/**
 * Bound on stored terms per round (bytes): a long loop runs as several rounds. Measured on W1
 * (200k events): 4 MB and 32 MB rounds run equally fast; the smaller keeps the arena small.
 */
const TERMS_BYTES = 1 << 22;
const { NEXT, DONE, NCHUNKS, FROM, TO, FAILED, DESC } = CTL;
const { DIRECT, TERMS } = OUT_KIND;

/**
 * Runs a kernel with `terms` outputs (exact sums over the split loop) in rounds: workers and the
 * main thread store the terms of each round's chunks in the arena, the main thread replays them
 * in the one-thread order while the next round runs. Returns null when a worker's chunk failed
 * (outputs untouched: the caller runs serially).
 *
 * @example
 * ```ts ignore
 * import { runTermRounds } from "./terms.ts";
 * const outs = runTermRounds(pool, code, split, inputs, outputs, 2) ?? runSerially();
 * ```
 */
export function runTermRounds(
  p: Pool,
  c: SplitCode,
  split: SplitInfo,
  inputs: readonly TypedArray[],
  outputs: TypedArray[],
  threads: number,
  patient = false,
): TypedArray[] | null {
  const ctl = p.ctl;
  const E = split.extent;
  const nTerms = split.kinds.filter((k) => k === "terms").length;
  const perIter = split.termsPerIter * 8;
  const roundIters = Math.max(1, Math.floor(TERMS_BYTES / (perIter * nTerms)));
  const single = roundIters >= E;
  const roundChunks = (from: number, to: number) =>
    Math.min(
      to - from,
      Math.max(4 * threads, Math.ceil((split.work * (to - from)) / E / CHUNK_WORK)),
    );
  const { inOff, size: inBytes } = inputLayout(inputs);
  let size = inBytes;
  const outs: OutDesc[] = outputs.map((a, j) => {
    const offset = size;
    if (split.kinds[j] === "terms") {
      // Two regions when there are several rounds: workers fill one while the main thread
      // replays the other.
      size += align8(perIter * Math.min(roundIters, E)) * (single ? 1 : 2);
      return {
        code: 1,
        offset,
        length: split.termsPerIter,
        stride: perIter,
        kind: TERMS,
        view: null,
      };
    }
    size = align8(size + a.byteLength);
    return { code: codeOf(a), offset, length: a.length, stride: 0, kind: DIRECT, view: null };
  });
  if (size > ARENA_MAX) return null;
  let ins: TypedArray[] = [];
  const accs = outputs.map((a, j) =>
    split.kinds[j] === "terms"
      ? new Float64Array(a.length).fill(reduceInit(split.reduce[j]!))
      : new Float64Array(0)
  );
  /** The outputs as round `r` addresses them (terms outputs alternate between two regions). */
  const outsOf = (r: number) =>
    outs.map((o) =>
      o.kind === TERMS && r % 2 ? { ...o, offset: o.offset + align8(perIter * roundIters) } : o
    );
  const replay = (r: number) => {
    const from = r * roundIters, to = Math.min(E, from + roundIters);
    const terms = outsOf(r).map((o) =>
      o.kind === TERMS ? new Float64Array(p.arena, o.offset, (to - from) * o.length) : accs[0]
    );
    c.replay!(terms, accs, from, to);
  };
  const rounds = Math.ceil(E / roundIters);
  for (let r = 0; r < rounds; r++) {
    const from = r * roundIters, to = Math.min(E, from + roundIters);
    const n = roundChunks(from, to);
    const rOuts = outsOf(r);
    const id = publish(p, () => {
      if (r === 0) {
        ins = writeJob(p, c, inputs, inOff, size, outputs.length);
        // No clearing needed: a kernel writes every element of its outputs (maps at every
        // point, reductions through their accumulators), so each chunk overwrites its share.
        for (const o of outs) {
          if (o.kind === DIRECT) o.view = sharedView(p.arena, o.code, o.offset, o.length);
        }
      }
      let d = DESC + 3 * inputs.length;
      for (const o of rOuts) {
        ctl.set([o.code, o.offset, o.length, o.stride, o.kind], d);
        d += 5;
      }
      ctl[FROM] = from;
      ctl[TO] = to;
      ctl[NCHUNKS] = n;
    }, patient);
    if (id === 0) return null; // a worker is still inside an earlier job: run on one thread
    // While the workers start on this round, the main thread replays the previous one.
    if (r > 0) replay(r - 1);
    // The main thread's share: whatever the workers have not taken.
    const job: Job = { id, n, from, to, ins, outs: rOuts, buf: p.arena };
    for (let k; (k = Atomics.add(ctl, NEXT, 1)) < n;) {
      runChunk(c.fn, job, k);
      Atomics.add(ctl, DONE, 1);
    }
    // Every chunk's terms must be in the arena before they are replayed: wait for the workers.
    for (let done; (done = Atomics.load(ctl, DONE)) < n;) Atomics.wait(ctl, DONE, done, 50);
    if (Atomics.load(ctl, FAILED)) return null; // outputs untouched: the caller runs serially
  }
  replay(rounds - 1);
  outputs.forEach((out, j) => {
    const o = outs[j];
    if (o.kind === DIRECT) out.set(o.view!);
    else out.set(accs[j]);
  });
  return outputs;
}
