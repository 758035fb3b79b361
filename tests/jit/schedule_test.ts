/**
 * The backend-neutral scheduler (jit/schedule/): node analysis, tables, sliding windows and value
 * numbering, on a KDE-histogram kernel like W1's (CDF at neighbouring bin edges, per-event
 * weights, per-bin coefficients).
 */
import assert from "node:assert/strict";
import type { Kernel, KNode } from "../../jit/kernel_ir.ts";
import { analyzeNodes, shiftedAlong } from "../../jit/schedule/analysis.ts";
import { loopNest, planTables } from "../../jit/schedule/tables.ts";
import { type Env, type Lang, type LoopVar, Values } from "../../jit/schedule/values.ts";
import { planWindows, windowValues } from "../../jit/schedule/windows.ts";

/** Σ_j c_j·(Φ(e_{j+1} − x_i) − Φ(e_j − x_i))·w_i over an [events, bins] domain, reduced over `axis`. */
function kdeKernel(events: number, bins: number, axis: number): Kernel {
  const f = "float64" as const;
  const nodes: KNode[] = [
    { kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype: f }, // 0 x_i
    { kind: "load", input: 1, index: { offset: 0, coefs: [0, 1] }, dtype: f }, // 1 e_j
    { kind: "op", op: "sub", args: [1, 0], dtype: f }, // 2
    { kind: "op", op: "erfc", args: [2], dtype: f }, // 3 the "CDF"
    { kind: "shift", of: 3, axis: 1, by: 1, dtype: f }, // 4 at j + 1
    { kind: "op", op: "sub", args: [4, 3], dtype: f }, // 5
    { kind: "load", input: 2, index: { offset: 0, coefs: [0, 1] }, dtype: f }, // 6 p_j
    { kind: "op", op: "exp", args: [6], dtype: f }, // 7 c_j: bins only
    { kind: "op", op: "mul", args: [5, 7], dtype: f }, // 8
    { kind: "const", value: 2, dtype: f }, // 9
    { kind: "const", value: 3, dtype: f }, // 10
    { kind: "op", op: "mul", args: [9, 10], dtype: f }, // 11 folds to 6
    { kind: "op", op: "mul", args: [8, 11], dtype: f }, // 12
  ];
  const kept = axis === 0 ? [bins] : [events];
  return {
    name: "kde",
    domain: [events, bins],
    reduceAxes: [axis],
    inputs: [
      { dtype: f, size: events, name: "x" },
      { dtype: f, size: bins + 1, name: "edges" },
      { dtype: f, size: bins, name: "p" },
    ],
    nodes,
    outputs: [{ node: 12, kind: "reduce", reduce: "sum", dtype: f, shape: kept, name: "h" }],
  };
}

/** A spelling that shows the structure: `op(args)`, loads as `in{i}[addr]`. */
const lang: Lang = {
  literal: (v) => String(v),
  affine: (terms, off) =>
    [...terms.map((t) => (t.coef === 1 ? t.name : `${t.coef}*${t.name}`)), ...(off ? [off] : [])]
      .join("+"),
  clamp: (addr, size) => `clamp(${addr},${size})`,
  load: (input, addr) => `in${input}[${addr}]`,
  tableRead: (id, addr) => `T${id}[${addr}]`,
  op: (op, refs) => `${op}(${refs.join(",")})`,
};
const loopVar = (name: string, level: number, n: number): LoopVar => ({
  name,
  scope: `m${level}`,
  level,
  lo: 0,
  hi: n - 1,
});

Deno.test("schedule: node analysis", () => {
  const k = kdeKernel(100, 25, 0);
  const info = analyzeNodes(k);
  assert.deepEqual(info.axes[0], [0]);
  assert.deepEqual(info.axes[7], [1]);
  assert.deepEqual(info.axes[8], [0, 1]);
  assert.deepEqual(info.users[3], [4, 5]);
  // The CDF is read at bin offsets 0 and +1; its argument too; the coefficient at 0 only.
  assert.deepEqual([...shiftedAlong(k, info, 1)], [[3, [0, 1]]]);
  assert.deepEqual([...info.shifts[2].keys()].sort(), ["0,0", "0,1"]);
  assert.deepEqual([...info.shifts[7].keys()], ["0,0"]);
});

Deno.test("schedule: tables for shifted and loop-invariant values", () => {
  // Backward-pass layout: loop over events (depth 1), bins inside (depth 2).
  const k = kdeKernel(100, 25, 1);
  const info = analyzeNodes(k);
  const tables = planTables(k, info, loopNest(k.domain), 65536);
  // The CDF row of each event (26 edges) is tabulated before the bin loop; the per-bin
  // coefficient once before every loop.
  const cdf = tables.get(3)!, coef = tables.get(7)!;
  assert.deepEqual([cdf.p, cdf.axes, cdf.lo, cdf.hi, cdf.size], [1, [1], [0], [26], 26]);
  assert.deepEqual([coef.p, coef.axes, coef.size], [0, [1], 25]);
  assert.equal(tables.size, 2);
  // Without shift tables (a renderer using sliding windows) only the coefficient remains.
  assert.deepEqual([...planTables(k, info, loopNest(k.domain), 65536, false).keys()], [7]);
  // Too large: recomputed instead.
  assert.equal(planTables(k, info, loopNest(k.domain), 10).size, 0);
});

Deno.test("schedule: value numbering, constant folding, hoisting", () => {
  const k = kdeKernel(100, 25, 1);
  const i0 = loopVar("i0", 1, 100), r1 = loopVar("r1", 2, 25);
  const env: Env = [{ v: i0, c: 0 }, { v: r1, c: 0 }];
  const vals = new Values(k, lang, { info: analyzeNodes(k) });
  const out = vals.node(12, env);
  vals.use(out);
  // 2·3 folded; the event load hoisted to the event loop, the coefficient to the bin loop.
  assert.match(vals.ref(out), /^v\d+$/);
  assert.ok(vals.vals.some((v) => v.kind === "const" && v.value === 6));
  const declared = (scope: string) => vals.declared(scope).map(([, code]) => code);
  assert.deepEqual(declared("m1"), ["in0[i0]"]);
  assert.ok(declared("m2").includes("in2[r1]") && declared("m2").some((c) => c.startsWith("exp(")));
  // Each edge's CDF at j and j + 1: two erfc per point without tables or windows.
  assert.equal(declared("m2").filter((c) => c.startsWith("erfc(")).length, 2);
  // Asking again gives the same values (CSE), and an unrolled point (bin 3) reuses loads.
  assert.equal(vals.node(12, env), out);
  const at3: Env = [{ v: i0, c: 0 }, { v: null, c: 3 }];
  const a = vals.node(3, at3), b = vals.node(4, [{ v: i0, c: 0 }, { v: null, c: 2 }]);
  assert.equal(a, b, "the CDF at edge 3 read directly and through a shift from bin 2");
});

Deno.test("schedule: sliding windows carry a shifted value across loop iterations", () => {
  const k = kdeKernel(100, 25, 1);
  const info = analyzeNodes(k);
  const i0 = loopVar("i0", 1, 100), r1 = loopVar("r1", 2, 25);
  const env: Env = [{ v: i0, c: 0 }, { v: r1, c: 0 }];
  const window = planWindows(k, info, [1], env, "w")!;
  assert.deepEqual([...window.windows.keys()], [3]);
  const vals = new Values(k, lang, { info, window });
  vals.use(vals.node(12, env));
  const regs = windowValues(vals, window, { v: null, c: 0 });
  assert.deepEqual(regs.map((r) => r.reg), ["w3_0"]);
  // One erfc per iteration (at j + 1), one before the loop (edge 0) for the register.
  const inLoop = vals.declared("m2").map(([, c]) => c).filter((c) => c.startsWith("erfc("));
  assert.equal(inLoop.length, 1);
  assert.match(vals.ref(regs[0].init), /^v\d+$/);
  assert.equal(vals.vals[regs[0].init].level, 1, "the first register value is per event");
  assert.ok(vals.declared("m2").some(([, c]) => c.includes("w3_0")), "the register is read");
  // A flattened loop over several axes does not carry windows.
  assert.equal(planWindows(k, info, [0, 1], env, "w"), undefined);
});
