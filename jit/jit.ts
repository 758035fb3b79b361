/**
 * `jit`: trace once per input signature, cache the program, run it as fused kernels.
 *
 * A call traces `f` once per (argument structure, shapes, dtypes, weak types, static arguments),
 * then binds `jit_call` with the cached jaxpr. Executing `jit_call` on concrete arrays plans the
 * jaxpr into fused kernels and routines (`jit/fusion.ts`), compiles each kernel to JavaScript
 * (`jit/cpu/codegen.ts`), caches the compiled program with the jaxpr (`jit/cpu/program.ts`) and runs
 * it. Under other transforms (`grad(jit(f))`, `vmap(jit(f))`) the jaxpr is transformed and the
 * transformed program is compiled the same way; `jit(grad(f))` compiles forward and backward pass
 * together.
 *
 * Inspect what runs with `jit(f).inspect(...args)` (plan and generated source) or
 * `jit(f).lower(...args)` (the jaxpr).
 *
 * @module
 */
import { type GradMode, withGradMode } from "../ad/grad_mode.ts";
import type { Array } from "../core/array.ts";
import { flattenArgsExact, flattenFun, withNumberArgs } from "../core/api_util.ts";
import { type Atom, type Jaxpr, Literal } from "../core/jaxpr.ts";
import { jaxprNamer } from "./fusion.ts";
import { inlineCalls } from "./inline_calls.ts";
import { DeviceArray } from "../core/device_array.ts";
import { P } from "../core/primitives/mod.ts";
import type { JitCallParams } from "../core/primitives/control.ts";
import { hoistConsts, traceFlat } from "../core/staging.ts";
import { bind } from "../core/trace.ts";
import { type TreeDef, treedefString, unflatten } from "../core/tree.ts";
import { type CompileOptions, ProgramCache, programFor } from "./cpu/program.ts";
import { defaultDevice } from "./device.ts";
import { type CpuPoolStats, cpuPoolStats, describeCpuThreads } from "./cpu/parallel.ts";
import { donateArgs, donatedPositions } from "./donate.ts";
import "./register.ts"; // core runs jit_calls and device operations through jit/
import { compileWebGpuProgram, type WebGpuProgram } from "./webgpu/program.ts";

/**
 * Runs a `jit_call` on concrete arrays as compiled kernels (installed as core's executor by
 * `register.ts`). `jit` puts its options in the parameters, and the jit_calls that transforms
 * derive from it (grad/jvp/vmap of a jitted function) inherit them; without a device option a
 * program runs where its arguments live.
 *
 * @example
 * ```ts ignore
 * import { runJitCall } from "./jit.ts";
 * const outs = runJitCall(args, { jaxpr, name: "f" });
 * ```
 */
export function runJitCall(args: DeviceArray[], p: JitCallParams): DeviceArray[] {
  const o: ExecutionOptions = p.options ?? {};
  const device = deviceFor(o, args);
  if (device === "webgpu") return webgpuProgramFor(p.jaxpr, p.inputNames).run(args);
  if (args.some((a) => a.device !== "cpu")) {
    throw new Error(
      `jit(${p.name}) on the cpu: an argument lives on ${
        args.find((a) => a.device !== "cpu")!.device
      }; ` +
        `move it with devicePut(x, "cpu") (after reading it back) or run with device "webgpu"`,
    );
  }
  const outs = programFor(p.jaxpr, compileOptions(o)).run(args);
  if (o.debugNans && outs.some(hasNaN)) findNaN(p.jaxpr, args, p.name);
  return outs;
}

/** Where a program runs: the device option, else WebGPU when an argument lives there, else the default. */
function deviceFor(o: ExecutionOptions, args: readonly Array[]): "cpu" | "webgpu" {
  const onGpu = args.some((a) => a instanceof DeviceArray && a.device === "webgpu");
  return o.device ?? (onGpu ? "webgpu" : defaultDevice());
}

function hasNaN(x: DeviceArray): boolean {
  if (x.dtype !== "float32" && x.dtype !== "float64") return false;
  const d = x.dataSync();
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) return true;
  return false;
}

/** Replays the program one primitive at a time and throws at the first one that makes a NaN. */
function findNaN(program: Jaxpr, args: DeviceArray[], name: string): never {
  const jaxpr = inlineCalls(program);
  const env = new Map<unknown, DeviceArray>();
  jaxpr.invars.forEach((v, i) => env.set(v, args[i]));
  const read = (a: Atom) => (a instanceof Literal ? (a.array as DeviceArray) : env.get(a)!);
  const names = jaxprNamer(jaxpr);
  for (const [k, e] of jaxpr.eqns.entries()) {
    const ins = e.inputs.map(read);
    const outs = e.prim.impl(ins, e.params);
    e.outputs.forEach((v, i) => env.set(v, outs[i]));
    const bad = outs.findIndex(hasNaN);
    if (bad >= 0 && !ins.some(hasNaN)) {
      const inNames = e.inputs.map((a) => (a instanceof Literal ? String(a.value) : names(a)));
      throw new Error(
        `jit(${name}) debugNans: primitive '${e.prim.name}' (equation ${k}: ` +
          `${names(e.outputs[bad])}:${e.outputs[bad].aval} = ${e.prim.name} ${
            inNames.join(" ")
          }) ` +
          `produced a NaN from inputs without NaN`,
      );
    }
  }
  throw new Error(`jit(${name}) debugNans: an output is NaN (NaN already in the inputs)`);
}

// Keyed by the input names too: a program's errors name its inputs.
const webgpuPrograms = new ProgramCache<WebGpuProgram>();
function webgpuProgramFor(jaxpr: Jaxpr, names?: readonly string[]): WebGpuProgram {
  return webgpuPrograms.get(
    jaxpr,
    names ? JSON.stringify(names) : "",
    () => compileWebGpuProgram(jaxpr, names ? (i) => names[i] ?? `input ${i}` : undefined),
  );
}

/** The options that say how a program runs; transforms of a jitted function inherit them. */
type ExecutionOptions = Pick<
  JitOptions,
  "device" | "precision" | "threads" | "interpret" | "debugNans"
>;

function compileOptions(o: ExecutionOptions): CompileOptions {
  return { precision: o.precision, threads: o.threads, interpret: o.interpret };
}

/** Options of {@link jit}. */
export interface JitOptions {
  /** Positions of arguments that are static: JS values that select a trace (part of the cache key). */
  staticArgnums?: readonly number[];
  /** A name for printing. */
  name?: string;
  /**
   * Numerics of compiled CPU kernels (the contract is in jit/README.md). `"fast"` (default):
   * fused float32 expressions evaluated in double precision and rounded when stored,
   * float32-accurate special functions, and sums over large loops added in fixed blocks (per
   * block partial sums, combined in block order) so the threads share them: results are the same
   * bits on every run and for every thread count, and within rounding of eager execution (1e-6
   * relative for well-conditioned float32, reassociation of float64 sums). `"exact"`: every
   * operation rounded and every sum added as eager execution does, so results are bitwise those
   * of eager execution (random numbers included); slower, for debugging.
   */
  precision?: "exact" | "fast";
  /**
   * CPU threads a large kernel may be split across, the main thread included (default: the
   * process-wide setting of `configureCpuParallel`, initially the number of cores; 1 = never).
   * Results do not depend on it (see the numerical contract in jit/README.md).
   */
  threads?: number;
  /** Run kernels with the slow reference interpreter of the kernel IR (debugging, tests). */
  interpret?: boolean;
  /**
   * How `grad`/`valueAndGrad`/`jacfwd` traced inside this `jit` differentiate (unless given their
   * own `mode`): `"auto"` (default; `"reverse"` with `precision: "exact"` or `interpret`, which
   * reproduce eager execution) uses forward mode — one tangent per input element, fused into the
   * forward pass — when the differentiated inputs have at most 4 elements (cut thresholds, a
   * bandwidth), some value has at least 4096 elements (data) and no customVjp function is called;
   * `"forward"` or `"reverse"` force one (see `ad/grad_mode.ts`).
   */
  gradMode?: GradMode;
  /**
   * Check outputs for NaN after each call (CPU); when one is found, replay the program primitive
   * by primitive and throw an error naming the first primitive that produced a NaN.
   */
  debugNans?: boolean;
  /**
   * Where to run: `"cpu"` or `"webgpu"` (float32/int32/bool only; `await initDevice("webgpu")`
   * first). Default: WebGPU when an argument lives there, else the default device.
   */
  device?: "cpu" | "webgpu";
  /**
   * Positions of arguments whose arrays the call consumes (JAX's `donate_argnums`): after the call
   * they are invalidated — a later use throws an error naming the donation — and their memory is
   * released at once (on WebGPU to the buffer pool, where the next call's outputs reuse it). Use it
   * for state replaced by each call, `p = step(p)`, to keep memory flat without `dispose()`. Only
   * calls that run donate; under `grad`/`vmap`/an enclosing `jit` nothing is invalidated.
   */
  donateArgnums?: readonly number[];
}

interface CacheEntry {
  jaxpr: Jaxpr;
  consts: Array[];
  outDef: TreeDef;
  /** What each jaxpr input is, for error messages ("captured constant 0", "argument 1.mtt"). */
  inputNames: string[];
}

/** A jitted function, with its trace cache exposed for inspection. */
export interface Jitted {
  // deno-lint-ignore no-explicit-any
  (...args: any[]): any;
  /** The jaxpr that a call with these arguments runs (traced if not cached). */
  lower(...args: unknown[]): Jaxpr;
  /**
   * What a call with these arguments runs, for debugging: the jaxpr, the kernel plan (text) and
   * the generated source of every kernel; `toString()` prints all three.
   *
   * @example
   * ```ts
   * import { array, jit, sin } from "../mod.ts";
   * console.log(jit((x) => sin(x).sum()).inspect(array([1, 2])).toString());
   * ```
   */
  inspect(...args: unknown[]): {
    /** The traced program (constants first among its inputs). */
    jaxpr: Jaxpr;
    /** Fused kernels and routines, in execution order. */
    plan: string;
    /** Number of kernel and routine steps of the plan. */
    steps: number;
    /** Generated code of every kernel. */
    source: string;
    /**
     * CPU programs: the threads kernels use (worker threads running, kernels split so far) or
     * why they run on one thread; null for WebGPU programs.
     */
    threads: CpuPoolStats | null;
    /** Jaxpr, plan, threads and source as text. */
    toString(): string;
  };
  /** Number of traces so far (one per new signature). */
  readonly traceCount: number;
}

/**
 * Compiles `f` for each new combination of argument shapes/dtypes (and static arguments) and
 * reuses it. Works inside and around every other transform. A JS number argument is what it is in
 * eager operations, a weakly typed value at full precision: its weak type (int or float), not its
 * value, selects the trace, so `jit(f)(x, 0.1)` gives `f(x, 0.1)`'s dtype and bits.
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
  const donated = donatedPositions(opts.donateArgnums, statics);
  const cache = new Map<string, CacheEntry>();
  let traces = 0;
  const name = opts.name ?? (f.name || "fn");
  const options: ExecutionOptions = {};
  if (opts.device) options.device = opts.device;
  if (opts.precision) options.precision = opts.precision;
  if (opts.threads !== undefined) options.threads = opts.threads;
  if (opts.interpret) options.interpret = true;
  if (opts.debugNans) options.debugNans = true;
  // `exact` and the interpreter reproduce eager execution, whose `grad` is reverse mode.
  const gradMode = opts.gradMode ??
    (opts.precision === "exact" || opts.interpret ? "reverse" : "auto");

  const prepare = (args: unknown[]) => {
    const dyn = args.filter((_, i) => !statics.has(i));
    // JS numbers are traced at full precision with their own weak type, which is in the key.
    const { leaves: xs, def: inDef, numberTypes } = flattenArgsExact(
      "jit",
      dyn,
      (arrays) => deviceFor(options, arrays) === "webgpu",
    );
    const staticKey = [...statics].sort().map((i) => `${i}=${stableKey(args[i])}`).join(";");
    const key = `${treedefString(inDef)}|${
      xs.map((x, i) => `${x.aval}${x.weakType ? "w" : ""}${numberTypes[i]?.dtype ?? ""}`).join(",")
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
      const traced = hoistConsts(
        withGradMode(
          gradMode,
          () => traceFlat(withNumberArgs(flat, numberTypes), xs.map((x) => x.aval), "jit"),
        ),
      );
      traces++;
      entry = {
        ...traced,
        outDef: outDef(),
        inputNames: [
          ...traced.consts.map((c, i) => `captured constant ${i} (${c.aval})`),
          ...leafPaths(inDef).map((p) => `argument ${p} of ${name}`),
        ],
      };
      // Programs that capture tracers of an enclosing transform cannot be reused across calls.
      if (traced.consts.every((c) => c instanceof DeviceArray)) cache.set(key, entry);
    }
    return { entry, xs };
  };

  const jitted = ((...args: unknown[]) => {
    const { entry, xs } = prepare(args);
    const outs = bind(P.jit_call, [...entry.consts, ...xs], {
      jaxpr: entry.jaxpr,
      name,
      // Names for the errors of device programs (float64 on WebGPU names the argument).
      ...(opts.device ? { inputNames: entry.inputNames } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    });
    if (donated.size) donateArgs(`jit(${name})`, args, donated, outs, entry.consts);
    return unflatten(entry.outDef, outs);
  }) as Jitted;
  jitted.lower = (...args: unknown[]) => prepare(args).entry.jaxpr;
  jitted.inspect = (...args: unknown[]) => {
    const { entry } = prepare(args);
    const jaxpr = entry.jaxpr;
    const program = opts.device === "webgpu"
      ? webgpuProgramFor(jaxpr, entry.inputNames)
      : programFor(jaxpr, compileOptions(opts));
    const source = program.source();
    const threads = opts.device === "webgpu"
      ? null
      : { ...cpuPoolStats(), ...(opts.threads !== undefined ? { configured: opts.threads } : {}) };
    const threadText = threads ? `=== threads\n${describeCpuThreads(threads)}\n\n` : "";
    return {
      jaxpr,
      plan: program.plan.toString(),
      steps: program.plan.steps.length,
      source,
      threads,
      toString: () =>
        `=== jaxpr\n${jaxpr}\n\n=== plan\n${program.plan}\n\n${threadText}=== source\n${source}`,
    };
  };
  Object.defineProperty(jitted, "traceCount", { get: () => traces });
  return jitted;
}

/** Paths of the leaves of the (dynamic) arguments: `0`, `1.mtt`, `2[3]`. */
function leafPaths(def: TreeDef, prefix = ""): string[] {
  switch (def.kind) {
    case "leaf":
      return [prefix];
    case "null":
      return [];
    case "list":
      return def.children.flatMap((c, i) =>
        leafPaths(c, prefix === "" ? `${i}` : `${prefix}[${i}]`)
      );
    case "dict":
      return def.children.flatMap((c, i) => leafPaths(c, `${prefix}.${def.keys[i]}`));
  }
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
