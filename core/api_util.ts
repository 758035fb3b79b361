/**
 * Glue between user functions on pytrees and the flat functions transforms work on.
 *
 * @module
 */
import { Array } from "./array.ts";
import type { TypeInfo } from "./dtype.ts";
import { asArray, numberArgCarrier, numberArgValue, operandType } from "./ops/convert.ts";
import { flatten, type TreeDef, treedefString, unflatten } from "./tree.ts";

/** Converts the leaves of a pytree to arrays, naming `op` and the leaf's position on error. */
export function leavesToArrays(op: string, leaves: unknown[]): Array[] {
  return leaves.map((l, i) => {
    if (l instanceof Array) return l;
    if (typeof l === "number" || typeof l === "boolean") return asArray(l);
    if (ArrayBuffer.isView(l)) return asArray(globalThis.Array.from(l as Float64Array));
    throw new TypeError(`${op}: leaf ${i} of the pytree is ${describe(l)}, not an array or number`);
  });
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return `an object of class ${x.constructor?.name ?? "?"}`;
  return `a ${typeof x}`;
}

/**
 * Wraps `f` (pytrees in, pytree out) as a function of flat leaves. After it runs, `outDef()` gives
 * the output structure.
 */
export function flattenFun(
  op: string,
  // deno-lint-ignore no-explicit-any
  f: (...args: any[]) => unknown,
  inDef: TreeDef,
): { flat: (...leaves: Array[]) => Array[]; outDef: () => TreeDef } {
  let out: TreeDef | undefined;
  const flat = (...leaves: Array[]) => {
    const args = unflatten(inDef, leaves) as unknown[];
    const res = f(...args);
    const [ls, def] = flatten(res);
    out = def;
    return leavesToArrays(`${op} (output)`, ls);
  };
  return {
    flat,
    outDef: () => {
      if (!out) throw new Error(`${op}: the function has not run yet`);
      return out;
    },
  };
}

/** Flattens a list of arguments (each a pytree) into arrays and their joint structure. */
export function flattenArgs(op: string, args: readonly unknown[]): [Array[], TreeDef] {
  const [ls, def] = flatten(args as unknown[]);
  return [leavesToArrays(op, ls), def];
}

/**
 * Flattens arguments like {@link flattenArgs}, but a JS number leaf becomes a float64 weak carrier
 * of its exact value, and `numberTypes[i]` is the number's own weak type (null for other leaves):
 * what a traced function must see for it ({@link withNumberArgs}) and what a trace cache must key
 * on, as the value is not part of the key.
 */
export function flattenArgsExact(
  op: string,
  args: readonly unknown[],
): { leaves: Array[]; def: TreeDef; numberTypes: (TypeInfo | null)[] } {
  const [ls, def] = flatten(args as unknown[]);
  const numberTypes = ls.map((l) => (typeof l === "number" ? operandType(l) : null));
  const leaves = leavesToArrays(op, ls).map((a, i) =>
    typeof ls[i] === "number" ? numberArgCarrier(ls[i] as number) : a
  );
  return { leaves, def, numberTypes };
}

/** Wraps flat `f` so that the carriers of JS number arguments arrive as their numbers' values. */
export function withNumberArgs(
  f: (...leaves: Array[]) => Array[],
  numberTypes: readonly (TypeInfo | null)[],
): (...leaves: Array[]) => Array[] {
  if (numberTypes.every((t) => t === null)) return f;
  return (...leaves) => {
    return f(...leaves.map((l, i) => {
      const t = numberTypes[i];
      return t ? numberArgValue(l, t) : l;
    }));
  };
}

/** Human-readable structure for messages. */
export { treedefString };
