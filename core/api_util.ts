/**
 * Glue between user functions on pytrees and the flat functions transforms work on.
 *
 * @module
 */
import { Array } from "./array.ts";
import { asArray } from "./ops/convert.ts";
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

/** Human-readable structure for messages. */
export { treedefString };
