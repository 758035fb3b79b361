/**
 * Pytrees: nested JS lists, plain objects and `null` whose leaves are arrays (or numbers). Transforms
 * accept and return pytrees, as in JAX.
 *
 * @module
 */
import { Array as ZArray } from "./array.ts";

/** The structure of a pytree, without its leaves. */
export type TreeDef =
  | { kind: "leaf" }
  | { kind: "null" }
  | { kind: "list"; children: TreeDef[] }
  | { kind: "dict"; keys: string[]; children: TreeDef[] };

/** A pytree whose leaves have type `L`. */
export type Tree<L> = L | null | undefined | readonly Tree<L>[] | { readonly [k: string]: Tree<L> };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

/** Is `x` a leaf (an array, number, boolean, typed array or any non-container value)? */
export function isLeaf(x: unknown): boolean {
  return !(x === null || x === undefined || Array.isArray(x) || isPlainObject(x)) ||
    x instanceof ZArray;
}

/**
 * Splits a pytree into its leaves (depth-first, object keys in insertion order) and structure.
 *
 * @example
 * ```ts
 * import { tree, array } from "./mod.ts";
 * const [leaves, def] = tree.flatten({ w: array([1, 2]), b: [3, null] });
 * console.log(leaves.length); // 2
 * ```
 */
export function flatten<L = unknown>(t: unknown): [L[], TreeDef] {
  const leaves: L[] = [];
  const walk = (x: unknown): TreeDef => {
    if (x === null || x === undefined) return { kind: "null" };
    if (Array.isArray(x)) return { kind: "list", children: x.map(walk) };
    if (isPlainObject(x)) {
      const keys = Object.keys(x);
      return { kind: "dict", keys, children: keys.map((k) => walk(x[k])) };
    }
    leaves.push(x as L);
    return { kind: "leaf" };
  };
  const def = walk(t);
  return [leaves, def];
}

/** Rebuilds a pytree of structure `def` from `leaves`. */
export function unflatten<L>(def: TreeDef, leaves: readonly L[]): Tree<L> {
  let i = 0;
  const build = (d: TreeDef): Tree<L> => {
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length) throw new Error("tree.unflatten: too few leaves for the structure");
        return leaves[i++];
      case "null":
        return null;
      case "list":
        return d.children.map(build);
      case "dict":
        return Object.fromEntries(d.keys.map((k, j) => [k, build(d.children[j])]));
    }
  };
  const out = build(def);
  if (i !== leaves.length) {
    throw new Error(`tree.unflatten: ${leaves.length} leaves given, structure has ${i}`);
  }
  return out;
}

/** The leaves of a pytree. */
export function leaves<L = unknown>(t: unknown): L[] {
  return flatten<L>(t)[0];
}

/** Number of leaves in a structure. */
export function numLeaves(def: TreeDef): number {
  return def.kind === "leaf"
    ? 1
    : def.kind === "null"
    ? 0
    : def.children.reduce((n, c) => n + numLeaves(c), 0);
}

/** A readable description of a structure, e.g. `{w: *, b: [*, null]}`. */
export function treedefString(d: TreeDef): string {
  switch (d.kind) {
    case "leaf":
      return "*";
    case "null":
      return "null";
    case "list":
      return `[${d.children.map(treedefString).join(", ")}]`;
    case "dict":
      return `{${d.keys.map((k, i) => `${k}: ${treedefString(d.children[i])}`).join(", ")}}`;
  }
}

/** True when two structures are identical. */
export function treedefEqual(a: TreeDef, b: TreeDef): boolean {
  return treedefString(a) === treedefString(b);
}

/**
 * Applies `f` to corresponding leaves of one or more pytrees of the same structure.
 *
 * @example
 * ```ts
 * import { tree, array } from "./mod.ts";
 * const doubled = tree.map((x) => x.mul(2), { a: array([1]), b: [array([2])] });
 * ```
 */
// deno-lint-ignore no-explicit-any
export function map(f: (...xs: any[]) => unknown, t: unknown, ...rest: unknown[]): any {
  const [ls, def] = flatten(t);
  const others = rest.map((r) => {
    const [l, d] = flatten(r);
    if (!treedefEqual(d, def)) {
      throw new Error(
        `tree.map: structures differ: ${treedefString(def)} vs ${treedefString(d)}`,
      );
    }
    return l;
  });
  return unflatten(def, ls.map((x, i) => f(x, ...others.map((o) => o[i]))));
}
