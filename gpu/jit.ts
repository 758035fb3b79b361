/**
 * `jit`: trace once per input signature, cache the program, run it. Today the cached program runs
 * through the eager primitives; the fused-kernel compiler replaces the execution of `jit_call`
 * without changing this API.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { flattenArgs, flattenFun } from "../core/api_util.ts";
import type { Jaxpr } from "../core/jaxpr.ts";
import { DeviceArray } from "../core/device_array.ts";
import { P } from "../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../core/staging.ts";
import { bind } from "../core/trace.ts";
import { type TreeDef, treedefString, unflatten } from "../core/tree.ts";

/** Options of {@link jit}. */
export interface JitOptions {
  /** Positions of arguments that are static: JS values that select a trace (part of the cache key). */
  staticArgnums?: readonly number[];
  /** A name for printing. */
  name?: string;
}

interface CacheEntry {
  jaxpr: Jaxpr;
  consts: Array[];
  outDef: TreeDef;
}

/** A jitted function, with its trace cache exposed for inspection. */
export interface Jitted {
  // deno-lint-ignore no-explicit-any
  (...args: any[]): any;
  /** The jaxpr that a call with these arguments runs (traced if not cached). */
  lower(...args: unknown[]): Jaxpr;
  /** Number of traces so far (one per new signature). */
  readonly traceCount: number;
}

/**
 * Compiles `f` for each new combination of argument shapes/dtypes (and static arguments) and
 * reuses it. Works inside and around every other transform.
 *
 * @example
 * ```ts
 * import { jit, array } from "./mod.ts";
 * const f = jit((x) => x.mul(2).sum());
 * f(array([1, 2])); f(array([3, 4])); // traced once
 * ```
 */
// deno-lint-ignore no-explicit-any
export function jit(f: (...args: any[]) => unknown, opts: JitOptions = {}): Jitted {
  const statics = new Set(opts.staticArgnums ?? []);
  const cache = new Map<string, CacheEntry>();
  let traces = 0;
  const name = opts.name ?? (f.name || "fn");

  const prepare = (args: unknown[]) => {
    const dyn = args.filter((_, i) => !statics.has(i));
    const [xs, inDef] = flattenArgs("jit", dyn);
    const staticKey = [...statics].sort().map((i) => `${i}=${stableKey(args[i])}`).join(";");
    const key = `${treedefString(inDef)}|${
      xs.map((x) => `${x.aval}${x.weakType ? "w" : ""}`).join(",")
    }|${staticKey}`;
    let entry = cache.get(key);
    if (!entry) {
      const g = (...d: unknown[]) => {
        const full: unknown[] = [];
        let k = 0;
        for (let i = 0; i < args.length; i++) full.push(statics.has(i) ? args[i] : d[k++]);
        return f(...full);
      };
      const { flat, outDef } = flattenFun("jit", g, inDef);
      const traced = hoistConsts(traceFlat(flat, xs.map((x) => x.aval), "jit"));
      traces++;
      entry = { ...traced, outDef: outDef() };
      // Programs that capture tracers of an enclosing transform cannot be reused across calls.
      if (traced.consts.every((c) => c instanceof DeviceArray)) cache.set(key, entry);
    }
    return { entry, xs };
  };

  const jitted = ((...args: unknown[]) => {
    const { entry, xs } = prepare(args);
    const outs = bind(P.jit_call, [...entry.consts, ...xs], { jaxpr: entry.jaxpr, name });
    return unflatten(entry.outDef, outs);
  }) as Jitted;
  jitted.lower = (...args: unknown[]) => prepare(args).entry.jaxpr;
  Object.defineProperty(jitted, "traceCount", { get: () => traces });
  return jitted;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
/** A cache key for a static argument: functions and class instances by identity, data by value. */
function stableKey(v: unknown): string {
  if (
    typeof v === "function" ||
    (typeof v === "object" && v !== null && Object.getPrototypeOf(v) !== Object.prototype &&
      !globalThis.Array.isArray(v))
  ) {
    const o = v as object;
    if (!objectIds.has(o)) objectIds.set(o, nextObjectId++);
    return `id:${objectIds.get(o)}`;
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
