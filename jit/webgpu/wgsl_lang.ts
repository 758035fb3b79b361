/**
 * WGSL spelling of scheduled values (`schedule/values.ts`): literals, addresses, loads and ops
 * (through `wgsl_ops.ts`), and small helpers shared by the passes.
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { Kernel } from "../kernel_ir.ts";
import type { NodeInfo } from "../schedule/analysis.ts";
import type { Table } from "../schedule/tables.ts";
import { type Env, type Lang, type LoopVar, Values } from "../schedule/values.ts";
import type { WindowLoop } from "../schedule/windows.ts";
import { WGSL_OPS } from "./wgsl_ops.ts";
import type { Prelude } from "./wgsl_prelude.ts";

/** WGSL type of a value of each dtype. */
export const WGSL_TYPE: Record<DType, string> = {
  float32: "f32",
  int32: "i32",
  bool: "bool",
  float64: "?",
};
/** WGSL element type of a storage buffer of each dtype (bool as u32). */
export const BUF_TYPE: Record<DType, string> = {
  float32: "f32",
  int32: "i32",
  bool: "u32",
  float64: "?",
};

function f32Bits(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return b.getUint32(0);
}

/** A WGSL literal of `dtype`. */
export function wgslConst(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32") {
    const i = v | 0;
    return i === -2147483648 ? "bitcast<i32>(0x80000000u)" : i < 0 ? `(${i}i)` : `${i}i`;
  }
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) <= 2 ** 24 && !Object.is(f, -0)) {
    return f < 0 ? `(${f}.0f)` : `${f}.0f`;
  }
  return `bitcast<f32>(0x${f32Bits(f).toString(16).padStart(8, "0")}u)`;
}

/**
 * 1/c in float32 when dividing by the constant `c` may become a multiplication: the reciprocal is
 * a normal float32 (so x·(1/c) overflows and underflows where x/c does), and x·fround(1/c) is
 * within 1.5 ulp of x/c, inside the WebGPU contract for div (rtol 1e-6); exact when c is a power
 * of two. A division costs several multiplications on llvmpipe: W1 divides by the bandwidth once
 * per bin edge and event.
 */
function reciprocal(c: number | undefined): number | null {
  if (c === undefined || !Number.isFinite(c) || c === 0) return null;
  const r = Math.fround(1 / c);
  return Number.isFinite(r) && Math.abs(r) >= 2 ** -126 ? r : null;
}

// ---------------------------------------------------------------------------
// Values: the shared schedule (jit/schedule) spelled in WGSL
// ---------------------------------------------------------------------------

/** WGSL spelling of scheduled values; `use` records prelude functions. */
function wgslLang(use: (f: string) => string, tables?: Map<number, Table>): Lang {
  // Tables live at the start of the pre-pass's `hz` buffer, in node order.
  const offsets = new Map<number, number>();
  let at = 0;
  for (const t of [...(tables?.values() ?? [])].sort((a, b) => a.node - b.node)) {
    offsets.set(t.id, at);
    at += t.size;
  }
  return {
    tableRead: (id, addr, dtype) => fromBits(`hz[${offsets.get(id)}i + ${addr}]`, dtype),
    literal: wgslConst,
    affine: (terms, off) => {
      const parts = terms.map(({ coef, name }) => (coef === 1 ? name : `${coef}i * ${name}`));
      if (off) parts.push(`${off}i`);
      return parts.join(" + ").replaceAll("+ -", "- ");
    },
    clamp: (addr, size) => `clamp(${addr}, 0i, ${size - 1}i)`,
    load: (input, addr, dtype) =>
      dtype === "bool" ? `(in${input}[${addr}] != 0u)` : `in${input}[${addr}]`,
    op(op, refs, args, argT, dt) {
      const recip = op === "div" && dt === "float32" ? reciprocal(args[1].value) : null;
      if (recip !== null) return `(${refs[0]} * ${wgslConst(recip, "float32")})`;
      const render = WGSL_OPS[op];
      if (!render) throw new Error(`wgsl: no rendering for ${op}`);
      return render(refs, argT, dt, use);
    },
  };
}

/**
 * The value numbering of a kernel's body in WGSL; `hoist`: invariant ops go to a pre-pass;
 * `window`: sliding windows over one loop.
 *
 * @example
 * ```ts
 * import { wgslValues } from "./wgsl_lang.ts";
 * import { Prelude } from "./wgsl_prelude.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * const vals = wgslValues(k, new Prelude(), false);
 * ```
 */
export function wgslValues(
  k: Kernel,
  prelude: Prelude,
  hoist: boolean,
  info?: NodeInfo,
  window?: WindowLoop,
  tables?: Map<number, Table>,
  mainEnv?: Env,
): Values {
  const tableSize = [...(tables?.values() ?? [])].reduce((t, x) => t + x.size, 0);
  return new Values(k, wgslLang(prelude.use, tables), {
    hoist,
    hoistedRead: (slot, dtype) => fromBits(`hz[${tableSize + slot}]`, dtype),
    info,
    window,
    tables,
    mainEnv,
  });
}

/**
 * The expression of node `i` at `env`, marked used.
 *
 * @example
 * ```ts
 * import { valueAt } from "./wgsl_lang.ts";
 * declare const vals: import("../schedule/values.ts").Values;
 * valueAt(vals, 0, [{ v: null, c: 0 }]);
 * ```
 */
export function valueAt(vals: Values, i: number, env: Env): string {
  const id = vals.node(i, env);
  vals.use(id);
  return vals.ref(id);
}

/**
 * Lines indented by `depth` levels (two spaces each).
 *
 * @example
 * ```ts
 * import { indent } from "./wgsl_lang.ts";
 * indent(["x = 1;"], 1); // ["  x = 1;"]
 * ```
 */
export function indent(lines: string[], depth: number): string[] {
  const pad = "  ".repeat(depth);
  return lines.map((l) => pad + l);
}

/**
 * Declarations of a scope's used values.
 *
 * @example
 * ```ts
 * import { declared } from "./wgsl_lang.ts";
 * declare const vals: import("../schedule/values.ts").Values;
 * declared(vals, "m1"); // ["let v3 = ...;", ...]
 * ```
 */
export function declared(vals: Values, scope: string): string[] {
  return vals.declared(scope).map(([id, code]) => `let v${id} = ${code};`);
}

/**
 * A loop variable of a WGSL shader at nesting `level` (scope `m{level}`) over `[0, extent)`.
 *
 * @example
 * ```ts
 * import { loopVar } from "./wgsl_lang.ts";
 * loopVar("r1", 2, 25); // { name: "r1", scope: "m2", level: 2, lo: 0, hi: 24 }
 * ```
 */
export function loopVar(name: string, level: number, extent: number): LoopVar {
  return { name, scope: `m${level}`, level, lo: 0, hi: extent - 1 };
}

/** A value of `dtype` from its bits `u` (a u32 expression). */
export function fromBits(u: string, dtype: DType): string {
  if (dtype === "float32") return `bitcast<f32>(${u})`;
  return dtype === "int32" ? `bitcast<i32>(${u})` : `(${u} != 0u)`;
}
/** The bits (u32) of a value of `dtype`. */
export function toBits(v: string, dtype: DType): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : `bitcast<u32>(${v})`;
}

/** The environment of a loop body over `axes` (those of extent > 1 get variables). */
export function loopEnv(k: Kernel, base: Env, axes: number[], prefix: string, level: number): Env {
  const env = [...base];
  for (const d of axes) {
    if (k.domain[d] > 1) env[d] = { v: loopVar(`${prefix}${d}`, level, k.domain[d]), c: 0 };
  }
  return env;
}

/** Every point of the reduced axes, as constants over `base` (an unrolled reduction). */
export function unrolledPoints(k: Kernel, base: Env, axes: number[]): Env[] {
  const points: Env[] = [];
  const walk = (j: number, e: Env) => {
    if (j === axes.length) return void points.push(e);
    for (let v = 0; v < k.domain[axes[j]]; v++) {
      const e2 = [...e];
      e2[axes[j]] = { v: null, c: v };
      walk(j + 1, e2);
    }
  };
  walk(0, base);
  return points;
}
