/**
 * WGSL chunked reductions (see the thread layouts in `wgsl.ts`): threads over contiguous chunks of
 * the reduced points with scalar accumulators, then a pass over the partial sums.
 *
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import type { Kernel } from "../kernel_ir.ts";
import type { WgslOptions } from "./wgsl.ts";
import {
  declared,
  indent,
  loopEnv,
  unrolledPoints,
  valueAt,
  WGSL_TYPE,
  wgslValues,
} from "./wgsl_lang.ts";
import {
  accInit,
  accStep,
  type Binding,
  combinePasses,
  dispatch,
  header,
  hzBinding,
  inputBindings,
  layout,
  LOOP_CAP,
  outBinding,
  prePass,
  type RenderedPasses,
  store,
  unravel,
  UNROLL_MAX,
} from "./wgsl_passes.ts";
import { Prelude } from "./wgsl_prelude.ts";

/** Most copies of a kernel body in a chunked reduction's loop (output elements × inner points). */
const MAX_UNROLLED_BODIES = 256;

/**
 * The innermost reduce axes of `k` unrolled inside a chunked reduction's loop: trailing reduce
 * axes with at most UNROLL_MAX points together (and at most MAX_UNROLLED_BODIES copies of the
 * body with the `K` output elements), when another reduce axis remains to loop over.
 */
function innerReduceAxes(k: Kernel, K: number): number[] {
  const axes = [...k.reduceAxes].sort((a, b) => a - b);
  const inner: number[] = [];
  let points = 1;
  const fits = (n: number) => n <= UNROLL_MAX && n * K <= MAX_UNROLLED_BODIES;
  while (axes.length > 1 && fits(points * k.domain[axes.at(-1)!])) {
    const d = axes.pop()!;
    points *= k.domain[d];
    inner.unshift(d);
  }
  return inner;
}

/**
 * Chunked reductions (at most 32 output elements, many reduced points: a histogram over events):
 * T threads, each over a contiguous chunk of the reduced points, with the output elements
 * unrolled as scalar accumulators (registers: an indexed accumulator array is ~2× slower on
 * llvmpipe), values at neighbouring elements value-numbered once; then a pass over the partials.
 */
export function chunkedPasses(k: Kernel, opts: WgslOptions, hoist: boolean): RenderedPasses {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const { kept, domStrides, reduceOuts } = layout(k);
  // Small inner reduce axes (the bins of a two-level reduction: over bins, then over events) are
  // unrolled inside each point of the looped ones, so values along them are value-numbered (each
  // bin edge's CDF once per event) and per-event values computed once.
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const unrolledRed = innerReduceAxes(k, K);
  const red = k.reduceAxes.filter((d) => !unrolledRed.includes(d));
  const U = sizeOf(unrolledRed.map((d) => k.domain[d]));
  const R = sizeOf(red.map((d) => k.domain[d]));
  const T = Math.max(
    Math.ceil(R / LOOP_CAP),
    Math.min(opts.maxThreads ?? 4096, Math.ceil(R / 128)),
    1,
  );
  const chunk = Math.ceil(R / T);
  const { groups, nx } = dispatch(T, wg, maxDim);
  const pre = new Prelude();
  const vals = wgslValues(k, pre, hoist);
  const outer = loopEnv(k, k.domain.map(() => ({ v: null, c: 0 })), red, "r", 1);
  // Points kept-major: point p accumulates into output element ⌊p / U⌋.
  const combos = unrolledPoints(k, outer, [...kept, ...unrolledRed]);
  const scratchIndex = new Map(reduceOuts.map(({ j }, s) => [j, s]));
  const accs: string[] = [];
  const loop: string[] = [];
  const fin: string[] = [];
  combos.forEach((e, p) => {
    const c = Math.floor(p / U), first = p % U === 0;
    k.outputs.forEach((o, j) => {
      const v = valueAt(vals, o.node, e);
      if (o.kind === "map") {
        loop.push(`out${j}[${vals.affine(0, domStrides, e).code}] = ${store(o.dtype, v)};`);
        return;
      }
      const s = scratchIndex.get(j)!;
      if (first) {
        accs.push(`var a${s}_${c}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
        fin.push(`p${s}[t * ${K}u + ${c}u] = ${store(o.dtype, `a${s}_${c}`)};`);
      }
      loop.push(accStep(o.reduce!, o.dtype, `a${s}_${c}`, v, pre.use));
    });
  });
  const hz = vals.hoistedSlots();
  const bindings: Binding[] = [
    ...inputBindings(k),
    ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map")
      .map(({ o, j }) => outBinding(`out${j}`, o.dtype, { kind: "output", index: j })),
    ...reduceOuts.map(({ o }, s) => outBinding(`p${s}`, o.dtype, { kind: "scratch", index: s })),
  ];
  if (hz.length) bindings.push(hzBinding(reduceOuts.length));
  const src1 = [
    `// kernel ${k.name}: chunked reduction (pass 1 of 2), domain [${k.domain}], ` +
    `reduce axes [${k.reduceAxes}]` +
    (unrolledRed.length ? ` (unrolled: [${unrolledRed}])` : "") +
    `, ${T} threads × ${chunk} points, ${K} outputs each`,
    pre.toString(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${T}u) { return; }`,
    ...indent([...declared(vals, "m0"), ...accs], 1),
    `  let c0 = t * ${chunk}u;`,
    `  let c1 = min(c0 + ${chunk}u, ${R}u);`,
    `  for (var rr: u32 = c0; rr < c1; rr = rr + 1u) {`,
    ...indent(unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)), 2),
    ...indent([...declared(vals, "m1"), ...loop], 2),
    `  }`,
    ...indent(fin, 1),
    `}`,
  ].join("\n");
  return {
    vals,
    scratch: [...reduceOuts.map(() => T * K), ...(hz.length ? [hz.length] : [])],
    passes: [
      ...(hz.length ? [prePass(k, { hz, tables: [], mainEnv: outer }, wg, reduceOuts.length)] : []),
      { source: src1, threads: T, groups, bindings: bindings.map((b) => b.ref) },
      ...combinePasses(k, reduceOuts, K, T, opts),
    ],
  };
}
