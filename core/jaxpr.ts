/**
 * The jaxpr: zgrad's one IR. A typed, first-order program of primitive applications, printed as JAX
 * prints it. jit, linearize, transpose and vmap all read and write jaxprs.
 *
 * @module
 */
import type { Array } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import type { Params, Primitive } from "./primitive.ts";
import { bind } from "./trace.ts";

/** A variable: one value of a jaxpr, typed by its abstract value. */
export class Var {
  /** The shape and dtype of the value. */
  readonly aval: ShapedArray;
  /** A fresh variable of type `aval`. */
  constructor(aval: ShapedArray) {
    this.aval = aval;
  }
}

/** A scalar constant written inline in a jaxpr. */
export class Literal {
  /** The scalar value. */
  readonly value: number;
  /** Its shape (`[]`) and dtype. */
  readonly aval: ShapedArray;
  /** The constant array it came from. */
  readonly array: Array;
  /** An inline constant. */
  constructor(value: number, aval: ShapedArray, array: Array) {
    this.value = value;
    this.aval = aval;
    this.array = array;
  }
}

/** An operand of an equation: a variable or an inline literal. */
export type Atom = Var | Literal;

/**
 * One primitive application. `Q` is the type of its params: an opaque object when the primitive
 * is not known statically; `EqnOf<"scan">` (narrowed to by `isEqnOf`, see
 * `core/primitives/mod.ts`) has the params declared with that primitive.
 */
export interface Eqn<Q extends Params = Params> {
  /** The primitive applied. */
  prim: Primitive<Q>;
  /** Its operands. */
  inputs: Atom[];
  /** Its static parameters. */
  params: Q;
  /** The variables it defines. */
  outputs: Var[];
}

/** A program: `{ lambda constvars ; invars . let eqns in outvars }`. */
export class Jaxpr {
  /** Builds a jaxpr (constvars are bound to values supplied alongside it). */
  constructor(
    readonly constvars: Var[],
    readonly invars: Var[],
    readonly eqns: Eqn[],
    readonly outvars: Atom[],
  ) {}
  /** Abstract values of the inputs. */
  get inAvals(): ShapedArray[] {
    return this.invars.map((v) => v.aval);
  }
  /** Abstract values of the outputs. */
  get outAvals(): ShapedArray[] {
    return this.outvars.map((v) => v.aval);
  }
  /** JAX-style text. */
  toString(): string {
    return printJaxpr(this);
  }
}

/** A jaxpr together with the values of its constvars. */
export class ClosedJaxpr {
  /** Pairs a jaxpr with its constants. */
  constructor(readonly jaxpr: Jaxpr, readonly consts: Array[]) {}
  /** JAX-style text. */
  toString(): string {
    return printJaxpr(this.jaxpr);
  }
}

/** Evaluates `jaxpr` by binding each equation in the current trace (so it composes with transforms). */
export function evalJaxpr(jaxpr: Jaxpr, consts: readonly Array[], args: readonly Array[]): Array[] {
  if (args.length !== jaxpr.invars.length || consts.length !== jaxpr.constvars.length) {
    throw new Error(
      `evalJaxpr: expected ${jaxpr.constvars.length} consts and ${jaxpr.invars.length} args, ` +
        `got ${consts.length} and ${args.length}`,
    );
  }
  const env = new Map<Var, Array>();
  jaxpr.constvars.forEach((v, i) => env.set(v, consts[i]));
  jaxpr.invars.forEach((v, i) => env.set(v, args[i]));
  const read = (a: Atom) => (a instanceof Literal ? a.array : env.get(a)!);
  for (const e of jaxpr.eqns) {
    const outs = bind(e.prim, e.inputs.map(read), e.params);
    e.outputs.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outvars.map(read);
}

/** Removes equations whose outputs are never used (all primitives are pure). */
export function dce(jaxpr: Jaxpr): Jaxpr {
  const live = new Set<Var>();
  for (const o of jaxpr.outvars) if (o instanceof Var) live.add(o);
  const kept: Eqn[] = [];
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const e = jaxpr.eqns[i];
    if (!e.outputs.some((v) => live.has(v))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a instanceof Var) live.add(a);
  }
  kept.reverse();
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, kept, jaxpr.outvars);
}

function varNamer() {
  const names = new Map<Var, string>();
  return (v: Var): string => {
    let n = names.get(v);
    if (n === undefined) {
      let k = names.size;
      n = "";
      do {
        n = String.fromCharCode(97 + (k % 26)) + n;
        k = Math.floor(k / 26) - 1;
      } while (k >= 0);
      names.set(v, n);
    }
    return n;
  };
}

function fmtParam(v: unknown, indent: string, name: (v: Var) => string): string {
  if (v instanceof Jaxpr) return "\n" + printJaxpr(v, indent + "    ", name);
  if (v instanceof ClosedJaxpr) return "\n" + printJaxpr(v.jaxpr, indent + "    ", name);
  if (typeof v === "function") return v.name || "<fn>";
  if (globalThis.Array.isArray(v)) return `(${v.map((x) => fmtParam(x, indent, name)).join(", ")})`;
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const kv = Object.entries(v).map(([k, x]) => `${k}=${fmtParam(x, indent, name)}`);
    return `{${kv.join(" ")}}`;
  }
  return String(v);
}

/** Formats a jaxpr like JAX: `{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b) }`. */
export function printJaxpr(j: Jaxpr, indent = "", name = varNamer()): string {
  const atom = (a: Atom) => (a instanceof Literal ? fmtLiteral(a) : name(a));
  const decl = (v: Var) => `${name(v)}:${v.aval}`;
  const lines = [
    `${indent}{ lambda ${j.constvars.map((v) => `${decl(v)} `).join("")}; ${
      j.invars.map(decl).join(" ")
    }. let`,
  ];
  for (const e of j.eqns) {
    const ps = Object.entries(e.params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${fmtParam(v, indent + "    ", name)}`);
    const p = ps.length ? `[${ps.join(" ")}]` : "";
    lines.push(
      `${indent}    ${e.outputs.map(decl).join(" ")} = ${e.prim.name}${p} ${
        e.inputs.map(atom).join(" ")
      }`,
    );
  }
  lines.push(`${indent}  in (${j.outvars.map(atom).join(", ")}) }`);
  return lines.join("\n");
}

function fmtLiteral(l: Literal): string {
  const v = l.aval.dtype === "bool" ? (l.value ? "True" : "False") : String(l.value);
  return l.aval.dtype === "float32" || l.aval.dtype === "float64"
    ? (Number.isInteger(l.value) ? `${v}.0` : v)
    : v;
}
