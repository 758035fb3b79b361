/**
 * Plan assembly: the kernel groups and routines the fusion planner (`fusion.ts`) chose, turned
 * into a {@link Plan}: buffers for the inputs, the literals and every step's outputs, the steps in
 * topological order (kernels built as they are scheduled, so they are numbered in step order),
 * and each temporary's last use.
 *
 * @module
 */
import type { ShapedArray } from "../core/aval.ts";
import type { DeviceArray } from "../core/device_array.ts";
import { type Atom, type Eqn, type Jaxpr, Literal, Var } from "../core/jaxpr.ts";
import {
  buildKernel,
  type ExpansionContext,
  type KernelRoot,
  type KernelSpec,
} from "./kernel_builder.ts";
import { type BufferSource, type Plan, type PlanBuffer, type PlanStep, printPlan } from "./plan.ts";

/** Roots computed by one kernel, as the planner grouped them. */
export interface KernelGroup extends KernelSpec {
  /** In program order. */
  roots: readonly KernelRoot[];
  /** The roots' values. */
  outputs: ReadonlySet<Var>;
  /** The buffers the kernel reads. */
  deps: ReadonlySet<Var>;
  /** The first root's index in program order. */
  order: number;
}

/**
 * The plan running `jaxpr` (calls inlined, no constvars) as one kernel per group and one routine
 * per equation `isRoutine` selects.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { jaxprNamer } from "./fusion.ts";
 * import { buildPlan } from "./plan_builder.ts";
 * const j = makeJaxpr((x) => x.cumsum())(array([1, 2])).jaxpr;
 * const materialised = new Set([...j.invars, ...j.eqns[0].outputs]);
 * const ctx = { materialised, producer: new Map(), name: jaxprNamer(j) };
 * console.log(buildPlan(j, [], () => true, ctx).toString()); // one routine: cumsum
 * ```
 */
export function buildPlan(
  jaxpr: Jaxpr,
  groups: readonly KernelGroup[],
  isRoutine: (e: Eqn) => boolean,
  ctx: ExpansionContext,
): Plan {
  const table = new BufferTable(ctx.name);
  const inputs = jaxpr.invars.map((v, i) => table.add(v, { kind: "input", index: i }));
  const pending = pendingSteps(jaxpr, groups, isRoutine, ctx, table);
  const steps = orderSteps(jaxpr, pending, table);
  const outputs = jaxpr.outvars.map((o) => table.of(o));
  const freeAfter = lifetimes(steps, table.buffers, new Set<number>([...inputs, ...outputs]));
  const plan: Plan = {
    jaxpr,
    buffers: table.buffers,
    inputs,
    outputs,
    steps,
    freeAfter,
    toString: () => printPlan(plan),
  };
  return plan;
}

/** The buffers of a plan under construction, and the buffer holding each variable. */
class BufferTable {
  readonly buffers: PlanBuffer[] = [];
  readonly #bufOf = new Map<Var, number>();

  constructor(readonly name: (v: Var) => string) {}

  /** A new buffer holding `v`. */
  add(v: Var, source: BufferSource): number {
    const id = this.#new(v.aval, this.name(v), source);
    this.#bufOf.set(v, id);
    return id;
  }

  /** The buffer holding `a`: a variable's, or a new one for each use of a literal. */
  of(a: Atom): number {
    if (!(a instanceof Literal)) return this.#bufOf.get(a)!;
    return this.#new(a.aval, String(a.value), { kind: "literal", array: a.array as DeviceArray });
  }

  #new(aval: ShapedArray, name: string, source: BufferSource): number {
    const id = this.buffers.length;
    this.buffers.push({ id, aval, name, source });
    return id;
  }
}

/** A step before ordering: the buffers it reads and writes, and how to make it once scheduled. */
interface Pending {
  order: number;
  deps: Var[];
  outs: Var[];
  make: () => PlanStep;
}

/**
 * The steps, unordered: a kernel per group (named in the order they are made), then a routine
 * per routine equation, each with its buffer dependencies.
 */
function pendingSteps(
  jaxpr: Jaxpr,
  groups: readonly KernelGroup[],
  isRoutine: (e: Eqn) => boolean,
  ctx: ExpansionContext,
  table: BufferTable,
): Pending[] {
  const pending: Pending[] = [];
  let kcount = 0;
  for (const g of groups) {
    const make = (): PlanStep => {
      const { kernel, inputVars } = buildKernel(`k${kcount++}`, g, ctx);
      return {
        kind: "kernel",
        kernel,
        inputs: inputVars.map((v) => table.of(v)),
        outputs: g.roots.map((r) => table.of(r.v)),
      };
    };
    pending.push({ order: g.order, deps: [...g.deps], outs: [...g.outputs], make });
  }
  jaxpr.eqns.forEach((e, order) => {
    if (!isRoutine(e)) return;
    pending.push({
      order,
      deps: e.inputs.filter((a): a is Var => a instanceof Var),
      outs: e.outputs,
      make: () => ({
        kind: "routine",
        eqn: e,
        inputs: e.inputs.map((a) => table.of(a)),
        outputs: e.outputs.map((v) => table.of(v)),
      }),
    });
  });
  return pending;
}

/**
 * Topological order (program order among ready steps); each step's output buffers are allocated
 * when it is scheduled, before it is made.
 */
function orderSteps(jaxpr: Jaxpr, pending: Pending[], table: BufferTable): PlanStep[] {
  const made = new Set<Var>(jaxpr.invars);
  const steps: PlanStep[] = [];
  const left = [...pending].sort((a, b) => a.order - b.order);
  while (left.length) {
    const i = left.findIndex((p) => p.deps.every((d) => made.has(d)));
    if (i < 0) throw new Error("fusion: cyclic plan (internal error)");
    const [p] = left.splice(i, 1);
    const stepIndex = steps.length;
    for (const v of p.outs) {
      table.add(v, { kind: "step", step: stepIndex });
      made.add(v);
    }
    steps.push(p.make());
  }
  return steps;
}

/** `freeAfter[k]`: the temporaries (not in `keep`) that die after their last reading step k. */
function lifetimes(
  steps: PlanStep[],
  buffers: PlanBuffer[],
  keep: ReadonlySet<number>,
): number[][] {
  const last = new Map<number, number>();
  steps.forEach((s, k) => {
    for (const b of s.inputs) last.set(b, k);
    for (const b of s.outputs) if (!last.has(b)) last.set(b, k);
  });
  const freeAfter: number[][] = steps.map(() => []);
  for (const [b, k] of last) {
    if (!keep.has(b) && buffers[b].source.kind === "step") freeAfter[k].push(b);
  }
  return freeAfter;
}
