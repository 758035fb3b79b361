/**
 * The fusion planner: jaxpr → {@link Plan} (`plan.ts`), a schedule of fused kernels and *routines*.
 *
 * 1. Call-like primitives (`jit_call`, `custom_jvp_call`, `custom_vjp_call`) are inlined
 *    (`inline_calls.ts`), so a jitted function called inside another fuses with its caller.
 *    Duplicate fusible equations (same primitive, parameters and operands, as transforms emit
 *    them: the backward pass of two matmuls by one matrix transposes it twice) are merged
 *    (`cse.ts`), so no kernel computes or writes one value twice.
 * 2. Every equation is classified (`fuse_kind.ts`): *fusible* (the elementwise primitives of
 *    `SCALAR_OPS`, `select`, `convert_element_type`, `stop_gradient`, `iota`, the views
 *    `broadcast_in_dim`, `transpose`, `slice`, `rev`, `reshape`, `pad` without interior padding,
 *    `concatenate`, and the reductions `reduce_sum/max/min/prod`) or a *routine*: anything else
 *    (matmul, linalg, cumsum, gather/scatter-add, sort, control flow, random bits, and every
 *    primitive added later) runs its eager implementation on materialised operands.
 * 3. Materialised values (buffers): the program's inputs and outputs, the operands and results of
 *    routines, every reduction result, and the operand of a reshape that merges axes (which is not
 *    index arithmetic). Nothing else is ever stored: elementwise and view operations are inlined
 *    into each consumer and *recomputed* there (`kernel_builder.ts`). In particular the [N, B+1]
 *    matrix of normal CDFs of the W1 histogram is never materialised, neither in the forward pass
 *    (where it is reduced over events into bins) nor in the backward pass (where it is recomputed
 *    and reduced over bins).
 * 4. Each materialised value computed by fusible operations is a kernel *root*: a `reduce` root
 *    (domain = the reduction's operand shape) or a `map` root (domain = its own shape). Roots with
 *    the same domain (and the same reduced axes) that do not depend on each other are merged into
 *    one multi-output kernel, in program order ("sibling fusion"), so values they share are
 *    computed once per domain point.
 * 5. Steps are ordered topologically; each temporary buffer records the step after which it is
 *    dead, so executors free or pool it deterministically (`plan_builder.ts`).
 *
 * {@link planJaxpr} runs these as phases, one function each, in that order.
 *
 * @module
 */
import { type Eqn, type Jaxpr, Var } from "../core/jaxpr.ts";
import { cseEqns } from "./cse.ts";
import { type FuseKind, fuseKind, reduceAxesOf, reduceOf } from "./fuse_kind.ts";
import { isEqnOf } from "../core/primitives/mod.ts";
import { reshapeIsAffine } from "./index_map.ts";
import { inlineCalls } from "./inline_calls.ts";
import type { ExpansionContext, KernelRoot } from "./kernel_builder.ts";
import type { Plan } from "./plan.ts";
import { buildPlan } from "./plan_builder.ts";

/**
 * Options of {@link planJaxpr}.
 *
 * @example
 * ```ts
 * import type { PlanOptions } from "./fusion.ts";
 * const o: PlanOptions = { maxBuffersPerKernel: 8 };
 * ```
 */
export interface PlanOptions {
  /** Extra veto: equations for which this returns false become routines. */
  fusible?: (eqn: Eqn) => boolean;
  /** Upper bound on inputs + outputs of one kernel (a device's storage-buffer limit). */
  maxBuffersPerKernel?: number;
  /**
   * Values to store even though they are fusible: a renderer's cost choice (an operand whose
   * inlined expression would be recomputed for every element of a large matmul's output).
   */
  materialise?: ReadonlySet<Var>;
}

/**
 * Names variables as `printJaxpr` does (constvars, invars, then each equation's outputs).
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, sin } from "../mod.ts";
 * import { jaxprNamer } from "./fusion.ts";
 * const j = makeJaxpr((x) => sin(x))(array([1])).jaxpr;
 * jaxprNamer(j)(j.invars[0]); // "a"
 * ```
 */
export function jaxprNamer(j: Jaxpr): (v: Var) => string {
  const names = new Map<Var, string>();
  const name = (k: number) => {
    let n = "";
    do {
      n = String.fromCharCode(97 + (k % 26)) + n;
      k = Math.floor(k / 26) - 1;
    } while (k >= 0);
    return n;
  };
  const see = (v: Var) => {
    if (!names.has(v)) names.set(v, name(names.size));
  };
  j.constvars.forEach(see);
  j.invars.forEach(see);
  for (const e of j.eqns) e.outputs.forEach(see);
  return (v) => names.get(v) ?? "?";
}

/**
 * Plans the execution of a jaxpr (without constvars) as fused kernels and routines.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, sin } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * const j = makeJaxpr((x) => sin(x).mul(2).sum())(array([1, 2, 3])).jaxpr;
 * const plan = planJaxpr(j);
 * console.log(plan.steps.length); // 1: sin, mul and sum fuse into one kernel
 * ```
 */
export function planJaxpr(jaxpr0: Jaxpr, opts: PlanOptions = {}): Plan {
  if (jaxpr0.constvars.length) {
    throw new Error(
      "planJaxpr: the jaxpr has constvars; pass them as leading inputs (hoistConsts)",
    );
  }
  // Duplicate fusible equations (the transposes of a backward pass) are computed once (./cse.ts).
  const jaxpr = cseEqns(inlineCalls(jaxpr0), (e) => fuseKind(e) !== null);
  const prog = indexProgram(jaxpr, opts);
  const maxBuf = opts.maxBuffersPerKernel ?? Infinity;
  const mat = decideMaterialised(prog, opts);
  const deps = new BufferDeps(prog.producer, mat);
  fitBufferLimit(prog, mat, deps, maxBuf);
  const groups = groupSiblings(prog, findRoots(prog, mat, deps), maxBuf);

  const ctx: ExpansionContext = { materialised: mat, producer: prog.producer, name: prog.name };
  return buildPlan(jaxpr, groups, (e) => prog.kindOf.get(e) === null, ctx);
}

// ---------------------------------------------------------------------------
// Classification and materialisation
// ---------------------------------------------------------------------------

/** The jaxpr being planned, indexed for the planner's phases. */
interface Program {
  /** The jaxpr, calls inlined and duplicate fusible equations merged. */
  jaxpr: Jaxpr;
  /** Printed variable names (of buffers, kernel inputs and outputs). */
  name: (v: Var) => string;
  /** The equation defining each variable. */
  producer: Map<Var, Eqn>;
  /** Each equation's index in program order. */
  order: Map<Eqn, number>;
  /**
   * How each equation is planned: a kind of fusible operation, or null for a routine (including a
   * fusible primitive the options veto or that alone reads too many buffers, see
   * {@link fitBufferLimit}).
   */
  kindOf: Map<Eqn, FuseKind | null>;
}

/** Indexes `jaxpr` and classifies its equations (the options' `fusible` veto applied). */
function indexProgram(jaxpr: Jaxpr, opts: PlanOptions): Program {
  const producer = new Map<Var, Eqn>();
  const order = new Map<Eqn, number>();
  jaxpr.eqns.forEach((e, i) => {
    order.set(e, i);
    for (const v of e.outputs) producer.set(v, e);
  });
  const kindOf = new Map<Eqn, FuseKind | null>();
  for (const e of jaxpr.eqns) {
    let k = fuseKind(e);
    if (k && opts.fusible && !opts.fusible(e)) k = null;
    kindOf.set(e, k);
  }
  return { jaxpr, name: jaxprNamer(jaxpr), producer, order, kindOf };
}

/**
 * The values that must be stored: inputs, outputs, values the options ask for, routine operands
 * and results, reduction results, and the operands of reshapes that are not index arithmetic.
 */
function decideMaterialised(prog: Program, opts: PlanOptions): Set<Var> {
  const { jaxpr, kindOf } = prog;
  const mat = new Set<Var>(jaxpr.invars);
  for (const v of opts.materialise ?? []) mat.add(v);
  for (const o of jaxpr.outvars) if (o instanceof Var) mat.add(o);
  for (const e of jaxpr.eqns) {
    const k = kindOf.get(e);
    if (k === null) {
      for (const a of e.inputs) if (a instanceof Var) mat.add(a);
      for (const v of e.outputs) mat.add(v);
    } else if (k === "reduce") {
      for (const v of e.outputs) mat.add(v);
    } else if (isEqnOf(e, "reshape")) {
      const x = e.inputs[0];
      if (x instanceof Var && !reshapeIsAffine(x.aval.shape, e.params.shape)) mat.add(x);
    }
  }
  return mat;
}

/**
 * Direct buffer dependencies of fusible values: the materialised values a value's inlined
 * expression reads. Memoised: {@link reset} after the materialised set grows.
 */
class BufferDeps {
  readonly #memo = new Map<Var, Set<Var>>();

  constructor(readonly producer: ReadonlyMap<Var, Eqn>, readonly mat: ReadonlySet<Var>) {}

  /** The buffers `v`'s expression reads; a `root` is expanded even though it is materialised. */
  of(v: Var, root: boolean): Set<Var> {
    if (!root && this.mat.has(v)) return new Set([v]);
    const hit = this.#memo.get(v);
    if (hit && !root) return hit;
    const out = new Set<Var>();
    for (const a of this.producer.get(v)!.inputs) {
      if (a instanceof Var) { for (const d of this.of(a, false)) out.add(d); }
    }
    if (!root) this.#memo.set(v, out);
    return out;
  }

  /**
   * The buffers the kernel computing root `v` of `e` reads: those of a reduction's operand, or of
   * `v`'s own expression.
   */
  ofRoot(e: Eqn, v: Var, reduce: boolean): Set<Var> {
    if (!reduce) return this.of(v, true);
    const x = e.inputs[0];
    return x instanceof Var ? this.of(x, false) : new Set();
  }

  /** Forgets memoised dependencies (they change when a value becomes materialised). */
  reset(): void {
    this.#memo.clear();
  }
}

/**
 * A kernel binds at most maxBuf buffers (inputs and its output): a root reading more gets the
 * fusible value in its expression that gathers the most of its inputs materialised (computed by
 * a kernel of its own), until it fits; one primitive that alone reads too many runs as a routine.
 * Grows `mat` and turns such primitives into routines in `prog.kindOf`.
 */
function fitBufferLimit(prog: Program, mat: Set<Var>, deps: BufferDeps, maxBuf: number): void {
  const { jaxpr, kindOf } = prog;
  for (let changed = Number.isFinite(maxBuf); changed;) {
    changed = false;
    for (const e of jaxpr.eqns) {
      if (kindOf.get(e) === null) continue;
      for (const v of e.outputs) {
        if (!mat.has(v)) continue;
        if (deps.ofRoot(e, v, kindOf.get(e) === "reduce").size + 1 <= maxBuf) continue;
        const best = widestFittingValue(prog, mat, deps, e, maxBuf);
        if (best) mat.add(best);
        else {
          kindOf.set(e, null);
          for (const a of e.inputs) if (a instanceof Var) mat.add(a);
        }
        deps.reset();
        changed = true;
      }
    }
  }
}

/**
 * Among the fusible, not yet materialised values in the expression of `e`'s operands, the one
 * reading the most buffers (more than one) that still fits a kernel of its own; null if none.
 */
function widestFittingValue(
  prog: Program,
  mat: ReadonlySet<Var>,
  deps: BufferDeps,
  e: Eqn,
  maxBuf: number,
): Var | null {
  const { producer } = prog;
  let best: Var | null = null, bestSize = 1;
  const seen = new Set<Var>();
  const visit = (u: Var) => {
    if (seen.has(u) || mat.has(u) || !producer.has(u)) return;
    seen.add(u);
    const n = deps.of(u, false).size;
    if (n > bestSize && n + 1 <= maxBuf) [best, bestSize] = [u, n];
    for (const a of producer.get(u)!.inputs) if (a instanceof Var) visit(a);
  };
  for (const a of e.inputs) if (a instanceof Var) visit(a);
  return best;
}

// ---------------------------------------------------------------------------
// Kernel roots and sibling fusion
// ---------------------------------------------------------------------------

/** A materialised value computed by fusible operations: an output of some kernel. */
interface Root extends KernelRoot {
  /** Its equation's index in program order. */
  order: number;
  /** The domain of a kernel computing it: the reduction's operand shape, or its own shape. */
  domain: number[];
  /** The reduced axes, ascending (empty for a map root). */
  reduceAxes: number[];
  /** The buffers its kernel reads. */
  deps: Set<Var>;
}

/** Roots computed by one kernel. */
interface Group {
  /** In program order. */
  roots: Root[];
  /** The kernel's domain (every root's). */
  domain: number[];
  /** The reduced axes of its reduce roots; null while it has none. */
  reduceAxes: number[] | null;
  /** The roots' values. */
  outputs: Set<Var>;
  /** The buffers the kernel reads. */
  deps: Set<Var>;
  /** The first root's order. */
  order: number;
}

/** The kernel roots, in program order. */
function findRoots(prog: Program, mat: ReadonlySet<Var>, deps: BufferDeps): Root[] {
  const roots: Root[] = [];
  for (const e of prog.jaxpr.eqns) {
    const k = prog.kindOf.get(e);
    if (k === null) continue;
    for (const v of e.outputs) {
      if (!mat.has(v)) continue;
      const reduce = k === "reduce";
      roots.push({
        v,
        eqn: e,
        order: prog.order.get(e)!,
        domain: [...(reduce ? e.inputs[0] : v).aval.shape],
        reduce: reduce ? reduceOf(e) : null,
        reduceAxes: reduce ? reduceAxesOf(e) : [],
        deps: deps.ofRoot(e, v, reduce),
      });
    }
  }
  return roots;
}

/**
 * Sibling fusion: each root, in program order, joins the first group it can share a kernel with
 * (same domain and reduced axes, no dependency either way, within the buffer limit), or starts a
 * group of its own.
 */
function groupSiblings(prog: Program, roots: Root[], maxBuf: number): Group[] {
  const rootOf = new Map<Var, Root>(roots.map((r) => [r.v, r]));
  const direct = (v: Var) => directDeps(prog, rootOf, v);
  const ancestors = ancestorsOf(direct);
  const groups: Group[] = [];
  const groupOf = new Map<Var, Group>();
  const closesCycle = (deps: Set<Var>, outputs: Set<Var>) =>
    reaches(deps, outputs, groupOf, direct);
  for (const r of roots) {
    const a = ancestors(r.v);
    let placed: Group | null = null;
    for (const g of groups) {
      const deps = depsIfJoined(g, r, a, maxBuf, closesCycle);
      if (!deps) continue;
      g.roots.push(r);
      g.outputs.add(r.v);
      g.deps = deps;
      if (r.reduce) g.reduceAxes = r.reduceAxes;
      placed = g;
      break;
    }
    if (!placed) {
      placed = {
        roots: [r],
        domain: r.domain,
        reduceAxes: r.reduce ? r.reduceAxes : null,
        outputs: new Set([r.v]),
        deps: new Set(r.deps),
        order: r.order,
      };
      groups.push(placed);
    }
    groupOf.set(r.v, placed);
  }
  return groups;
}

/**
 * The buffers group `g` would read with root `r` (whose ancestors are `rAncestors`) added, or
 * null when `r` may not join `g`.
 */
function depsIfJoined(
  g: Group,
  r: Root,
  rAncestors: ReadonlySet<Var>,
  maxBuf: number,
  closesCycle: (deps: Set<Var>, outputs: Set<Var>) => boolean,
): Set<Var> | null {
  if (!sameShape(g.domain, r.domain)) return null;
  if (r.reduce && g.reduceAxes && !sameShape(g.reduceAxes, r.reduceAxes)) return null;
  if ([...g.outputs].some((o) => rAncestors.has(o))) return null;
  const deps = new Set([...g.deps, ...r.deps]);
  if (deps.size + g.outputs.size + 1 > maxBuf) return null;
  if (closesCycle(deps, new Set([...g.outputs, r.v]))) return null;
  return deps;
}

const sameShape = (a: number[], b: number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The materialised values the step computing materialised `v` reads: a routine's operands, or
 * a root's buffer dependencies (none for a program input).
 */
function directDeps(prog: Program, rootOf: ReadonlyMap<Var, Root>, v: Var): Var[] {
  const e = prog.producer.get(v);
  if (!e) return [];
  return prog.kindOf.get(e) === null
    ? e.inputs.filter((a): a is Var => a instanceof Var)
    : [...(rootOf.get(v)?.deps ?? [])];
}

/** Transitive ancestors (materialised values) of every materialised value, memoised. */
function ancestorsOf(direct: (v: Var) => Var[]): (v: Var) => Set<Var> {
  const anc = new Map<Var, Set<Var>>();
  const ancestors = (v: Var): Set<Var> => {
    const hit = anc.get(v);
    if (hit) return hit;
    const out = new Set<Var>();
    anc.set(v, out);
    for (const d of direct(v)) {
      out.add(d);
      for (const x of ancestors(d)) out.add(x);
    }
    return out;
  };
  return ancestors;
}

/**
 * Whether the values `from` depend, through the steps as grouped so far, on one of `targets`. A
 * group runs as one step, so depending on one of its outputs means depending on all its inputs:
 * a root may join a group it does not depend on value by value and still close a cycle through
 * another group (the group's other members need that group, which needs the root's).
 */
function reaches(
  from: Iterable<Var>,
  targets: Set<Var>,
  groupOf: ReadonlyMap<Var, Group>,
  direct: (v: Var) => Var[],
): boolean {
  const seen = new Set<Var>(), stack = [...from];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (targets.has(v)) return true;
    const g = groupOf.get(v);
    if (g) {
      stack.push(...g.deps);
      continue;
    }
    stack.push(...direct(v));
  }
  return false;
}
