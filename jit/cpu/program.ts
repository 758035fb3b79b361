/**
 * Compiled programs: a jaxpr planned into kernels and routines (`fusion.ts`), with every kernel
 * rendered for its device, cached per jaxpr. This is what `jit_call` executes.
 *
 * Control flow (`while`, `cond`, `scan`) runs as a host loop (`control_flow.ts`) around the
 * programs of its predicate, body and branch jaxprs, compiled (and cached) here with the options of
 * the enclosing program, so loop bodies are fused like everything else.
 *
 * Caching: by jaxpr identity (what `jit`'s own trace cache hands over), and, for jaxprs built
 * afresh on every call (the JVP/transpose/vmap rules of `jit_call` re-trace), by a structural key
 * of the jaxpr when all its parameters are plain data.
 *
 * @module
 */
import type { DeviceArray } from "../../core/device_array.ts";
import { type Atom, Jaxpr, Literal, type Var } from "../../core/jaxpr.ts";
import { type CompiledKernel, compileKernel, type CpuCodegenOptions } from "./codegen.ts";
import { controlFlowJaxprs, runControlFlow, type SubJaxpr } from "./control_flow.ts";
import { eagerRoutine, interpretRunner, type RoutineRunner, runPlan } from "./executor.ts";
import { planJaxpr } from "../fusion.ts";
import { type Plan, printPlan } from "../plan.ts";

/**
 * A jaxpr compiled for the CPU.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, DeviceArray } from "../../mod.ts";
 * import { compileProgram } from "./program.ts";
 * const x = array([1, 2]) as DeviceArray;
 * const p = compileProgram(makeJaxpr((v) => v.exp().sum())(x).jaxpr);
 * console.log(p.run([x])[0].item());
 * ```
 */
export interface Program {
  /** The plan. */
  plan: Plan;
  /** The compiled kernel of each kernel step (null for routines). */
  kernels: (CompiledKernel | null)[];
  /** Runs the program on concrete arrays. */
  run(args: readonly DeviceArray[]): DeviceArray[];
  /** The generated source of every kernel. */
  source(): string;
}

/**
 * Options of {@link compileProgram}.
 *
 * @example
 * ```ts
 * import type { CompileOptions } from "./program.ts";
 * const o: CompileOptions = { interpret: true };
 * ```
 */
export interface CompileOptions extends CpuCodegenOptions {
  /** Run kernels with the reference interpreter instead of generated code (tests, debugging). */
  interpret?: boolean;
}

/**
 * Plans and compiles a jaxpr (without constvars) for the CPU.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { compileProgram } from "./program.ts";
 * const p = compileProgram(makeJaxpr((v) => v.mul(v).sum())(array([1, 2])).jaxpr);
 * console.log(p.source());
 * ```
 */
export function compileProgram(jaxpr: Jaxpr, opts: CompileOptions = {}): Program {
  const base = planJaxpr(jaxpr);
  const kernels = base.steps.map((s) =>
    s.kind === "kernel" && !opts.interpret ? compileKernel(s.kernel, opts) : null
  );
  const runner = opts.interpret
    ? interpretRunner
    : (_: unknown, ins: Parameters<CompiledKernel["run"]>[0], step: number) =>
      kernels[step]!.run(ins);
  // Sub-programs of control-flow steps, resolved on first use (nothing to compile for a branch
  // or loop that never runs; and printing a plan compiles them on demand).
  const subJaxprs = base.steps.map((s) => (s.kind === "routine" ? controlFlowJaxprs(s.eqn) : null));
  const subPrograms: (Program[] | null)[] = subJaxprs.map(() => null);
  const subsAt = (k: number): Program[] =>
    subPrograms[k] ??= subJaxprs[k]!.map((s) => programFor(s.jaxpr, opts));
  const routine: RoutineRunner | undefined = subJaxprs.some((s) => s !== null)
    ? (eqn, ins, k) =>
      subJaxprs[k] ? runControlFlow(eqn, ins, subsAt(k)) : eagerRoutine(eqn, ins, k)
    : undefined;
  const plan: Plan = {
    ...base,
    toString: () => printWithSubprograms(base, subJaxprs, subsAt),
  };
  return {
    plan,
    kernels,
    run: (args) => runPlan(plan, args, runner, routine),
    source: () => {
      const own = kernels.filter((k): k is CompiledKernel => k !== null).map((k) => k.source);
      const subs = subJaxprs.flatMap((ss, k) =>
        ss === null ? [] : ss.map((s, i) => {
          const src = subsAt(k)[i].source();
          const head = `// step ${k}: ${stepName(base, k)} ${s.label}`;
          return src ? `${head}\n${src}` : `${head} (no kernels)`;
        })
      );
      return [...own, ...subs].join("\n\n");
    },
  };
}

function stepName(plan: Plan, k: number): string {
  const s = plan.steps[k];
  return s.kind === "routine" ? s.eqn.prim.name : s.kernel.name;
}

/** The plan's text with each control-flow step followed by the plans of its sub-programs, indented. */
function printWithSubprograms(
  plan: Plan,
  subJaxprs: readonly (SubJaxpr[] | null)[],
  subsAt: (k: number) => Program[],
): string {
  const out: string[] = [];
  for (const line of printPlan(plan).split("\n")) {
    out.push(line);
    // Step headers are the only unindented "step k:" lines of a printed plan.
    const m = /^step (\d+): routine /.exec(line);
    const k = m ? Number(m[1]) : -1;
    if (k < 0 || !subJaxprs[k]) continue;
    subJaxprs[k]!.forEach((s, i) => {
      out.push(`    ${stepName(plan, k)} ${s.label}:`);
      out.push(subsAt(k)[i].plan.toString().split("\n").map((l) => "        " + l).join("\n"));
    });
  }
  return out.join("\n");
}

/**
 * Compiled programs per (jaxpr, options key): by jaxpr identity (what `jit`'s trace cache hands
 * over), and, for jaxprs built afresh on every call (the JVP/transpose/vmap rules of `jit_call`
 * re-trace), by {@link structuralKey} when all its parameters are plain data (the most recent 256).
 *
 * @example
 * ```ts
 * import { ProgramCache } from "./program.ts";
 * const cache = new ProgramCache<string>();
 * declare const j: import("../../core/jaxpr.ts").Jaxpr;
 * cache.get(j, "opts", () => "compiled") === cache.get(j, "opts", () => "again"); // true
 * ```
 */
export class ProgramCache<P> {
  #byIdentity = new WeakMap<Jaxpr, Map<string, P>>();
  #byStructure = new Map<string, P>();
  static readonly STRUCTURE_CACHE_SIZE = 256;

  /** The program of `jaxpr` under options `optionsKey`, compiled by `compile` on a miss. */
  get(jaxpr: Jaxpr, optionsKey: string, compile: () => P): P {
    let mine = this.#byIdentity.get(jaxpr);
    if (!mine) this.#byIdentity.set(jaxpr, mine = new Map());
    let p = mine.get(optionsKey);
    if (p !== undefined) return p;
    const sk = structuralKey(jaxpr);
    const key = sk === null ? null : `${optionsKey}#${sk}`;
    if (key !== null) p = this.#byStructure.get(key);
    if (p === undefined) {
      p = compile();
      if (key !== null) {
        if (this.#byStructure.size >= ProgramCache.STRUCTURE_CACHE_SIZE) {
          this.#byStructure.delete(this.#byStructure.keys().next().value!);
        }
        this.#byStructure.set(key, p);
      }
    }
    mine.set(optionsKey, p);
    return p;
  }
}

const cpuPrograms = new ProgramCache<Program>();

function optionsKey(o: CompileOptions): string {
  return `${o.precision ?? "fast"}|${o.interpret ? 1 : 0}|${o.maxTable ?? ""}|${o.threads ?? ""}|${
    o.parallelMinWork ?? ""
  }`;
}

/**
 * The cached CPU program of a jaxpr for the given options (compiled on first use).
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { programFor } from "./program.ts";
 * const j = makeJaxpr((v) => v.exp())(array([1])).jaxpr;
 * programFor(j) === programFor(j); // true
 * ```
 */
export function programFor(jaxpr: Jaxpr, opts: CompileOptions = {}): Program {
  return cpuPrograms.get(jaxpr, optionsKey(opts), () => compileProgram(jaxpr, opts));
}

/**
 * A string that identifies a jaxpr up to renaming of variables, or null when a parameter is not
 * plain data (a function, a class instance other than a jaxpr).
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { structuralKey } from "./program.ts";
 * const f = (v: any) => v.exp();
 * structuralKey(makeJaxpr(f)(array([1])).jaxpr) === structuralKey(makeJaxpr(f)(array([2])).jaxpr); // true
 * ```
 */
export function structuralKey(j: Jaxpr): string | null {
  const ids = new Map<Var, number>();
  const parts: string[] = [];
  const def = (v: Var) => {
    ids.set(v, ids.size);
    return `${v.aval}${v.aval.weakType ? "w" : ""}`;
  };
  const atom = (a: Atom) => {
    if (a instanceof Literal) {
      return `L${a.aval}:${Object.is(a.value, -0) ? "-0" : a.value}`;
    }
    const i = ids.get(a);
    return i === undefined ? "?" : `v${i}`;
  };
  parts.push(`c(${j.constvars.map(def)})i(${j.invars.map(def)})`);
  for (const e of j.eqns) {
    const ps = plain(e.params);
    if (ps === null) return null;
    parts.push(`${e.prim.name}${ps}(${e.inputs.map(atom)})->(${e.outputs.map(def)})`);
  }
  parts.push(`o(${j.outvars.map(atom)})`);
  return parts.join(";");
}

function plain(v: unknown): string | null {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return String(v);
  if (v instanceof Jaxpr) {
    const k = structuralKey(v);
    return k === null ? null : `{${k}}`;
  }
  if (globalThis.Array.isArray(v)) {
    const xs = v.map(plain);
    return xs.includes(null) ? null : `[${xs.join(",")}]`;
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const s = plain(x);
      if (s === null) return null;
      out.push(`${k}=${s}`);
    }
    return `{${out.join(",")}}`;
  }
  return null;
}
