/**
 * The CPU renderer: kernel IR → JavaScript source, compiled with `new Function`.
 *
 * A kernel becomes one loop nest over its domain in row-major order (axes of extent 1 are the
 * constant 0). Measured on W1, compact loops beat fully unrolled straight-line code by ~1.8×
 * (V8 inlines helpers into small loop bodies and keeps them in registers), so nothing is unrolled;
 * instead:
 *
 * - **Value numbering and hoisting.** Each node is instantiated once per distinct concrete index
 *   (its loads keyed by their address), and computed in the outermost loop whose indices it
 *   depends on: per-event weights once per event, scalar parameters once per call.
 * - **Tables.** A value that is read at shifted points (a `shift` node: the `cdf[:, 1:] -
 *   cdf[:, :-1]` of a KDE histogram) is computed once per point into a small table over the
 *   shifted axis just before that axis' loop (each bin edge's normal CDF once per event, not
 *   twice). A value that does not depend on an *outer* loop (per-bin coefficients of a backward
 *   pass inside the loop over events) is computed once into a table before that loop instead of
 *   at every iteration. Tables are `Float64Array`s allocated per call, of at most 65 536 entries.
 * - **Accumulators.** A reduction whose target element is fixed while the reduced loops run is a
 *   scalar local declared just outside them; otherwise (a histogram: reduced loop over events
 *   outside the loop over bins) it accumulates into a `Float64Array` of the output's size.
 *   Accumulation is in double precision, in row-major order of the reduced axes, like the eager
 *   reductions.
 * - **Precision.** `exact` (the default): every float32 operation is rounded (`Math.fround`) and
 *   special functions are the eager ones, so results equal eager results bit for bit in every
 *   dtype (float32 `erfc` skips the evaluation where its float32 value is the constant 0 or 2:
 *   {@link erfcSat32}). `fast`: float32 expressions are evaluated in double precision and rounded
 *   when stored (and before comparisons, conversions and rounding functions, so discrete decisions
 *   see float32 values), and float32 `erfc` uses the float32-accurate {@link erfcF32}; about 2×
 *   faster on W1. Results then differ from eager float32 by rounding only (usually they are more
 *   accurate); float64 and int32 are exact in both modes.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../core/dtype.ts";
import { sizeOf, stridesOf } from "../core/shape.ts";
import { erfcF32, erfcSat32 } from "./f32math.ts";
import {
  evalOp,
  HELPERS,
  type Kernel,
  type KNode,
  reduceInit,
  type ReduceOp,
  SCALAR_OPS,
} from "./kernel_ir.ts";

/** Functions generated code calls by name. */
const CPU_HELPERS = { ...HELPERS, erfcF32, erfcSat32 };

/**
 * Numeric mode of generated CPU code for float32 (see the module docs).
 *
 * @example
 * ```ts
 * import type { Precision } from "./cpu_codegen.ts";
 * const p: Precision = "exact";
 * ```
 */
export type Precision = "fast" | "exact";

/**
 * A kernel compiled to JavaScript.
 *
 * @example
 * ```ts
 * import { compileKernel } from "./cpu_codegen.ts";
 * declare const k: import("./kernel_ir.ts").Kernel;
 * console.log(compileKernel(k).source);
 * ```
 */
export interface CompiledKernel {
  /** The kernel. */
  kernel: Kernel;
  /** The generated JavaScript. */
  source: string;
  /** Runs the kernel: input buffers in, freshly allocated outputs out. */
  run(inputs: readonly TypedArray[]): TypedArray[];
}

/**
 * Options of {@link compileKernel}.
 *
 * @example
 * ```ts
 * import type { CpuCodegenOptions } from "./cpu_codegen.ts";
 * const o: CpuCodegenOptions = { precision: "exact" };
 * ```
 */
export interface CpuCodegenOptions {
  /** float32 arithmetic: `exact` (default; bitwise equal to eager) or `fast`. */
  precision?: Precision;
  /** Largest table (elements) used to share shifted or loop-invariant values (default 65536). */
  maxTable?: number;
}

/** Ops whose result jumps (comparisons, conversions, rounding): fast mode rounds their inputs. */
const DISCONTINUOUS = new Set([
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "floor",
  "ceil",
  "round",
  "sign",
  "is_finite",
  "convert_element_type",
]);

function literal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

function accUpdate(op: ReduceOp, acc: string, v: string): string {
  switch (op) {
    case "sum":
      return `${acc} += ${v};`;
    case "prod":
      return `${acc} *= ${v};`;
    case "max":
      return `{ const t = ${v}; if (t > ${acc} || t !== t) ${acc} = t; }`;
    case "min":
      return `{ const t = ${v}; if (t < ${acc} || t !== t) ${acc} = t; }`;
  }
}

/** Per-axis index of an environment: `var + c`, or the constant `c` when `v` is null. */
interface AxisEnv {
  v: string | null;
  c: number;
}

interface CV {
  code: string;
  /** Scope the value is declared in. */
  scope: string;
  /** Nesting level of that scope (0 = kernel prologue). */
  level: number;
  /** Constant value (inlined, never declared). */
  value?: number;
  dtype: DType;
  /** Declared as a local (`const v12 = ...`) rather than inlined. */
  named: boolean;
  args: number[];
  used: boolean;
}

interface Table {
  id: number;
  node: number;
  /** Main loop depth it is computed at. */
  p: number;
  /** Axes it spans (loop order), with ranges [lo, hi). */
  axes: number[];
  lo: number[];
  hi: number[];
  strides: number[];
  size: number;
}

/**
 * Generates the JavaScript source of a kernel: the body of `new Function("H", source)`, which
 * returns `function (ins, outs)`.
 *
 * @example
 * ```ts
 * import { kernelSource } from "./cpu_codegen.ts";
 * declare const k: import("./kernel_ir.ts").Kernel;
 * console.log(kernelSource(k));
 * ```
 */
export function kernelSource(k: Kernel, opts: CpuCodegenOptions = {}): string {
  const precision = opts.precision ?? "exact";
  const maxTable = opts.maxTable ?? 65536;
  const r = k.domain.length;
  const nodes = k.nodes;
  const loops = k.domain.map((_, d) => d).filter((d) => k.domain[d] > 1);
  const depthOf = new globalThis.Array<number>(r).fill(0);
  loops.forEach((d, i) => (depthOf[d] = i + 1));
  const L = loops.length;
  const isLoop = (a: number) => depthOf[a] > 0;

  // --- Node analysis: the axes each node depends on, its users, the shifts it is read at.
  const axesOf: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const s = new Set<number>();
    if (n.kind === "load" || n.kind === "index") {
      n.index.coefs.forEach((c, d) => c !== 0 && s.add(d));
    } else if (n.kind === "op") {
      for (const a of n.args) for (const d of axesOf[a]) s.add(d);
    } else if (n.kind === "shift") {
      for (const d of axesOf[n.of]) s.add(d);
    }
    axesOf[i] = [...s].sort((a, b) => a - b);
  });
  const loopAxesOf = axesOf.map((ax) => ax.filter(isLoop));
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    if (n.kind === "op") { for (const a of n.args) users[a].push(i); }
    if (n.kind === "shift") users[n.of].push(i);
  });
  const isOutput = new Set(k.outputs.map((o) => o.node));
  // Shift vectors each node is evaluated at, relative to the current point.
  const sigmas: Map<string, number[]>[] = nodes.map(() => new Map());
  {
    const stack: [number, number[]][] = k.outputs.map((
      o,
    ) => [o.node, new globalThis.Array(r).fill(0)]);
    while (stack.length) {
      const [i, s0] = stack.pop()!;
      const s = s0.map((v, d) => (axesOf[i].includes(d) ? v : 0));
      const key = s.join(",");
      if (sigmas[i].has(key)) continue;
      sigmas[i].set(key, s);
      const n = nodes[i];
      if (n.kind === "op") { for (const a of n.args) stack.push([a, s]); }
      if (n.kind === "shift") {
        const t = [...s];
        t[n.axis] += n.by;
        stack.push([n.of, t]);
      }
    }
  }

  // --- Tables.
  const tables = new Map<number, Table>();
  const sameAxes = (a: number[], b: number[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  nodes.forEach((n, i) => {
    if (n.kind !== "op") return;
    const deps = loopAxesOf[i];
    if (deps.length === 0) return;
    const q = Math.max(...deps.map((a) => depthOf[a]));
    let p0 = 0;
    while (p0 < L && deps.includes(loops[p0])) p0++;
    // Shift targets are tabled over their shifted axes; the nodes below them are computed in
    // that table's loop (their shifts are relative to it).
    const shiftTarget = users[i].some((u) => nodes[u].kind === "shift");
    const shifted = shiftTarget
      ? deps.filter((a) => [...sigmas[i].values()].some((s) => s[a] !== 0))
      : [];
    const p = Math.min(p0, ...shifted.map((a) => depthOf[a] - 1));
    if (p >= q) return;
    if (shifted.length === 0) {
      // Loop-invariant in an outer loop: table the frontier of such values only.
      const frontier = isOutput.has(i) ||
        users[i].some((u) => nodes[u].kind === "shift" || !sameAxes(loopAxesOf[u], deps));
      if (!frontier) return;
    }
    const axes = deps.filter((a) => depthOf[a] > p).sort((a, b) => depthOf[a] - depthOf[b]);
    const lo = axes.map((a) => Math.min(0, ...[...sigmas[i].values()].map((s) => s[a])));
    const hi = axes.map((a) =>
      k.domain[a] + Math.max(0, ...[...sigmas[i].values()].map((s) => s[a]))
    );
    const ext = axes.map((_, j) => hi[j] - lo[j]);
    const size = ext.reduce((x, y) => x * y, 1);
    if (size > maxTable) return;
    tables.set(i, { id: tables.size, node: i, p, axes, lo, hi, strides: stridesOf(ext), size });
  });

  // --- Values.
  const mainEnv: AxisEnv[] = k.domain.map((_, d) => ({ v: isLoop(d) ? `i${d}` : null, c: 0 }));
  const cvs: CV[] = [];
  const keyed = new Map<string, number>();
  const varInfo = new Map<string, { scope: string; level: number; lo: number; hi: number }>();
  loops.forEach((a) => {
    varInfo.set(`i${a}`, {
      scope: `m${depthOf[a]}`,
      level: depthOf[a],
      lo: 0,
      hi: k.domain[a] - 1,
    });
  });
  const cv = (key: string, make: () => CV): number => {
    let id = keyed.get(key);
    if (id === undefined) {
      id = cvs.length;
      cvs.push(make());
      keyed.set(key, id);
    }
    return id;
  };
  const constCV = (value: number, dtype: DType) =>
    cv(`c|${dtype}|${Object.is(value, -0) ? "-0" : value}`, () => ({
      code: literal(value),
      scope: "m0",
      level: 0,
      value,
      dtype,
      named: false,
      args: [],
      used: false,
    }));
  const deepest = (items: { scope: string; level: number }[]) => {
    const m = items.reduce((m, x) => (x.level > m.level ? x : m), { scope: "m0", level: 0 });
    return { scope: m.scope, level: m.level };
  };
  const ref = (id: number) => (cvs[id].named ? `v${id}` : cvs[id].code);

  /** An affine index under an environment: code, range, placement. */
  const affine = (offset: number, coefs: number[], env: AxisEnv[]) => {
    let off = offset;
    const terms: string[] = [];
    const places: { scope: string; level: number }[] = [];
    let lo = 0, hi = 0;
    coefs.forEach((c, d) => {
      if (c === 0) return;
      off += c * env[d].c;
      const v = env[d].v;
      if (v === null) return;
      const info = varInfo.get(v)!;
      places.push(info);
      terms.push(c === 1 ? v : `${c} * ${v}`);
      const a = c * info.lo, b = c * info.hi;
      lo += Math.min(a, b);
      hi += Math.max(a, b);
    });
    const code = terms.length === 0
      ? String(off)
      : (off !== 0 ? [...terms, String(off)] : terms).join(" + ").replaceAll("+ -", "- ");
    return {
      code,
      lo: lo + off,
      hi: hi + off,
      constant: terms.length === 0,
      value: off,
      ...deepest(places),
    };
  };
  const envKey = (i: number, env: AxisEnv[]) =>
    axesOf[i].map((a) => `${env[a].v ?? ""}${env[a].c}`).join(",");

  const round32 = (id: number): number => {
    const c = cvs[id];
    if (precision === "exact" || c.dtype !== "float32" || c.value !== undefined) return id;
    return cv(`r|${id}`, () => ({
      code: `fr(${ref(id)})`,
      scope: c.scope,
      level: c.level,
      dtype: "float32",
      named: true,
      args: [id],
      used: false,
    }));
  };

  /** Value of node `i` at `env`; `limit` bounds which tables may be read (region ordering). */
  const value = (i: number, env: AxisEnv[], limit: { p: number; node: number }): number => {
    const n = nodes[i];
    switch (n.kind) {
      case "const":
        return constCV(n.value, n.dtype);
      case "index": {
        const a = affine(n.index.offset, n.index.coefs, env);
        if (a.constant) return constCV(a.value, "int32");
        return cv(`i|${a.code}`, () => ({
          code: `(${a.code})`,
          scope: a.scope,
          level: a.level,
          dtype: "int32",
          named: false,
          args: [],
          used: false,
        }));
      }
      case "load": {
        const a = affine(n.index.offset, n.index.coefs, env);
        const size = k.inputs[n.input].size;
        const addr = a.lo < 0 || a.hi > size - 1
          ? `Math.min(Math.max(${a.code}, 0), ${size - 1})`
          : a.code;
        return cv(`l|${n.input}|${addr}`, () => ({
          code: `in${n.input}[${addr}]`,
          scope: a.scope,
          level: a.level,
          dtype: n.dtype,
          named: true,
          args: [],
          used: false,
        }));
      }
      case "shift": {
        const e2 = env.map((x, d) => (d === n.axis ? { v: x.v, c: x.c + n.by } : x));
        return value(n.of, e2, limit);
      }
      case "op": {
        const t = tables.get(i);
        const ready = t && (t.p < limit.p || (t.p === limit.p && i < limit.node));
        if (ready && tableHolds(t, env)) return tableRead(t, env);
        return opValue(i, n, env, limit);
      }
    }
  };

  /** True when the table has the value at `env` (other axes at the table's own point). */
  const tableHolds = (t: Table, env: AxisEnv[]): boolean =>
    axesOf[t.node].every((a) => {
      const j = t.axes.indexOf(a);
      if (j >= 0) {
        const info = env[a].v === null ? null : varInfo.get(env[a].v!)!;
        const lo = (info ? info.lo : 0) + env[a].c, hi = (info ? info.hi : 0) + env[a].c;
        return lo >= t.lo[j] && hi < t.hi[j];
      }
      return env[a].c === 0 && env[a].v === mainEnv[a].v;
    });

  const tableRead = (t: Table, env: AxisEnv[]): number => {
    const coefs = new globalThis.Array<number>(r).fill(0);
    let offset = 0;
    t.axes.forEach((a, j) => {
      coefs[a] = t.strides[j];
      offset -= t.strides[j] * t.lo[j];
    });
    const a = affine(offset, coefs, env);
    return cv(`t|${t.id}|${a.code}`, () => ({
      code: `T${t.id}[${a.code}]`,
      scope: a.scope,
      level: a.level,
      dtype: nodes[t.node].dtype,
      named: true,
      args: [],
      used: false,
    }));
  };

  const opValue = (
    i: number,
    n: Extract<KNode, { kind: "op" }>,
    env: AxisEnv[],
    limit: { p: number; node: number },
  ): number => {
    const key = `o|${i}|${envKey(i, env)}`;
    const hit = keyed.get(key);
    if (hit !== undefined) return hit;
    let args = n.args.map((a) => value(a, env, limit));
    const argDtype = nodes[n.args[n.op === "select" ? 1 : 0]].dtype;
    const vals = args.map((a) => cvs[a].value);
    let id: number;
    if (n.op === "select" && vals[0] !== undefined) {
      id = vals[0] ? args[1] : args[2];
    } else if (vals.every((v) => v !== undefined)) {
      const dts = n.args.map((a) => nodes[a].dtype);
      id = constCV(evalOp(n.op, vals as number[], dts, n.dtype), n.dtype);
    } else {
      if (DISCONTINUOUS.has(n.op)) args = args.map(round32);
      const place = deepest(args.map((a) => cvs[a]));
      const code = renderOp(n.op, args.map(ref), argDtype, n.dtype, precision);
      id = cv(`x|${n.op}|${n.dtype}|${args.join(",")}`, () => ({
        code,
        scope: place.scope,
        level: place.level,
        dtype: n.dtype,
        named: true,
        args,
        used: false,
      }));
    }
    keyed.set(key, id);
    return id;
  };

  // --- Statements.
  const noLimit = { p: Infinity, node: Infinity };
  const scopeLines = new Map<string, string[]>(); // extra statements per scope (after values)
  const push = (scope: string, line: string) => {
    if (!scopeLines.has(scope)) scopeLines.set(scope, []);
    scopeLines.get(scope)!.push(line);
  };
  const decls = globalThis.Array.from({ length: L + 1 }, () => [] as string[]);
  const finals = globalThis.Array.from({ length: L + 1 }, () => [] as string[]);
  const prologue: string[] = [];
  const epilogue: string[] = [];
  const inner: string[] = [];
  const use = (id: number) => {
    const stack = [id];
    while (stack.length) {
      const c = cvs[stack.pop()!];
      if (c.used) continue;
      c.used = true;
      stack.push(...c.args);
    }
  };

  // Tables: each a loop nest over its axes inside main scope m{p}, storing the node's value.
  const regions: { t: Table; lines: () => string[] }[] = [];
  for (const t of [...tables.values()].sort((a, b) => a.node - b.node)) {
    const env = mainEnv.map((e) => ({ ...e }));
    t.axes.forEach((a, j) => {
      const name = `t${t.id}_${a}`;
      env[a] = { v: name, c: 0 };
      varInfo.set(name, {
        scope: `t${t.id}_${j + 1}`,
        level: t.p + j + 1,
        lo: t.lo[j],
        hi: t.hi[j] - 1,
      });
    });
    const n = nodes[t.node] as Extract<KNode, { kind: "op" }>;
    const v = opValue(t.node, n, env, { p: t.p, node: t.node });
    use(v);
    const idx = t.axes.map((a, j) => {
      const s = t.strides[j];
      const term = s === 1 ? `t${t.id}_${a}` : `${s} * t${t.id}_${a}`;
      return t.lo[j] === 0 ? term : `${term} - ${s * t.lo[j]}`;
    }).join(" + ").replaceAll("- -", "+ ");
    push(`t${t.id}_${t.axes.length}`, `T${t.id}[${idx}] = ${ref(v)};`);
    prologue.push(`const T${t.id} = new Float64Array(${t.size});`);
    regions.push({
      t,
      lines: () => {
        const emit = (j: number, indent: string): string[] => {
          const a = t.axes[j];
          const nm = `t${t.id}_${a}`;
          const scope = `t${t.id}_${j + 1}`;
          return [
            `${indent}for (let ${nm} = ${t.lo[j]}; ${nm} < ${t.hi[j]}; ${nm}++) {`,
            ...declared(scope).map((l) => indent + "  " + l),
            ...(j + 1 < t.axes.length ? emit(j + 1, indent + "  ") : []),
            ...(scopeLines.get(scope) ?? []).map((l) => indent + "  " + l),
            `${indent}}`,
          ];
        };
        return emit(0, "");
      },
    });
  }

  // Outputs.
  const keptAxes = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const keptStrides = new globalThis.Array<number>(r).fill(0);
  {
    const st = stridesOf(keptAxes.map((d) => k.domain[d]));
    keptAxes.forEach((d, j) => (keptStrides[d] = st[j]));
  }
  const domStrides = stridesOf(k.domain);
  const reducedLoopDepths = loops.filter((d) => k.reduceAxes.includes(d)).map((d) => depthOf[d]);
  k.outputs.forEach((o, j) => {
    const v = value(o.node, mainEnv, noLimit);
    use(v);
    if (o.kind === "map") {
      inner.push(`out${j}[${affine(0, domStrides, mainEnv).code}] = ${ref(v)};`);
      return;
    }
    const a = affine(0, keptStrides, mainEnv);
    if (reducedLoopDepths.every((rd) => rd > a.level)) {
      const name = `a${j}`;
      decls[a.level].push(`let ${name} = ${literal(reduceInit(o.reduce!))};`);
      finals[a.level].push(`out${j}[${a.code}] = ${name};`);
      inner.push(accUpdate(o.reduce!, name, ref(v)));
    } else {
      prologue.push(
        `const acc${j} = new Float64Array(${sizeOf(o.shape)}).fill(${
          literal(reduceInit(o.reduce!))
        });`,
      );
      inner.push(accUpdate(o.reduce!, `acc${j}[${a.code}]`, ref(v)));
      epilogue.push(`out${j}.set(acc${j});`);
    }
  });

  // --- Emission.
  const byScope = new Map<string, number[]>();
  cvs.forEach((c, id) => {
    if (!c.used || !c.named) return;
    if (!byScope.has(c.scope)) byScope.set(c.scope, []);
    byScope.get(c.scope)!.push(id);
  });
  function declared(scope: string): string[] {
    return (byScope.get(scope) ?? []).map((id) => `const v${id} = ${cvs[id].code};`);
  }
  const block = (d: number, indent: string): string[] => {
    const lines = [...declared(`m${d}`), ...decls[d]].map((l) => indent + l);
    for (const reg of regions) {
      if (reg.t.p === d) lines.push(...reg.lines().map((l) => indent + l));
    }
    if (d < L) {
      const ax = loops[d];
      lines.push(`${indent}for (let i${ax} = 0; i${ax} < ${k.domain[ax]}; i${ax}++) {`);
      lines.push(...block(d + 1, indent + "  "));
      lines.push(`${indent}}`);
    } else {
      lines.push(...inner.map((l) => indent + l));
    }
    lines.push(...finals[d].map((l) => indent + l));
    return lines;
  };

  const helpers = Object.keys(CPU_HELPERS).join(", ");
  const head = [
    `"use strict";`,
    `const { ${helpers} } = H;`,
    `// kernel ${k.name}: domain [${k.domain}], reduce axes [${k.reduceAxes}], ` +
    `${tables.size} table(s), precision ${precision}`,
    `return function ${k.name}(ins, outs) {`,
    ...k.inputs.map((_, i) => `  const in${i} = ins[${i}];`),
    ...k.outputs.map((_, j) => `  const out${j} = outs[${j}];`),
    ...prologue.map((l) => "  " + l),
  ];
  return [...head, ...block(0, "  "), ...epilogue.map((l) => "  " + l), "};"].join("\n");
}

function renderOp(
  op: string,
  args: string[],
  argDtype: DType,
  dtype: DType,
  precision: Precision,
): string {
  const round = (code: string) =>
    dtype === "int32"
      ? `(${code} | 0)`
      : dtype === "float32" && precision === "exact"
      ? `fr(${code})`
      : code;
  if (op === "select") return `(${args[0]} ? ${args[1]} : ${args[2]})`;
  if (op === "convert_element_type") {
    if (dtype === "bool") return `(${args[0]} ? 1 : 0)`;
    if (dtype === argDtype || dtype === "float64") return args[0];
    if (dtype === "float32") return `fr(${args[0]})`;
    return round(args[0]);
  }
  if (op === "erfc" && dtype === "float32") {
    return precision === "fast" ? `erfcF32(${args[0]})` : `fr(erfcSat32(${args[0]}))`;
  }
  const s = SCALAR_OPS[op];
  if (!s) throw new Error(`cpu codegen: unknown scalar op '${op}'`);
  return round(s.js(args, argDtype));
}

/**
 * Compiles a kernel to a JavaScript function (see the module docs for what the code looks like).
 *
 * @example
 * ```ts
 * import { compileKernel } from "./cpu_codegen.ts";
 * const c = compileKernel({
 *   name: "k", domain: [3], reduceAxes: [],
 *   inputs: [{ dtype: "float32", size: 3, name: "x" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float32" },
 *     { kind: "op", op: "exp", args: [0], dtype: "float32" },
 *   ],
 *   outputs: [{ node: 1, kind: "map", dtype: "float32", shape: [3], name: "y" }],
 * });
 * console.log(c.run([new Float32Array([0, 1, 2])])[0]);
 * ```
 */
export function compileKernel(k: Kernel, opts: CpuCodegenOptions = {}): CompiledKernel {
  if (sizeOf(k.domain) === 0) {
    // Nothing to visit: map outputs are empty, reductions are their initial values.
    return {
      kernel: k,
      source: `// kernel ${k.name}: empty domain [${k.domain}]`,
      run: () =>
        k.outputs.map((o) => {
          const out = allocate(o.dtype, sizeOf(o.shape));
          if (o.kind === "reduce") out.fill(reduceInit(o.reduce!)); // typed-array store semantics
          return out;
        }),
    };
  }
  const source = kernelSource(k, opts);
  let fn: (ins: readonly TypedArray[], outs: TypedArray[]) => void;
  try {
    fn = new Function("H", source)(CPU_HELPERS);
  } catch (e) {
    throw new Error(`cpu codegen: kernel ${k.name} does not compile: ${e}\n${source}`);
  }
  return {
    kernel: k,
    source,
    run(inputs) {
      const outs = k.outputs.map((o) => allocate(o.dtype, sizeOf(o.shape)));
      fn(inputs, outs);
      return outs;
    },
  };
}
