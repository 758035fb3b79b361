/**
 * Pytree helpers shared by the optimisers: mapping over several trees, and broadcasting a
 * "prefix" tree (one value standing for a whole subtree, like JAX's tree prefixes) to the full
 * structure of the parameters.
 *
 * @module
 */
import { Array } from "../core/array.ts";
import { flatten, type Tree, type TreeDef, treedefString, unflatten } from "../core/tree.ts";

/** A pytree of zgrad arrays: what the optimisers update. */
export type Params = Tree<Array>;

/**
 * A prefix of a pytree: at any node, either the full subtree or one value for every leaf below.
 * In an object node, a missing key means {@link PrefixOptions.missing}.
 */
export type Prefix<V> = V | readonly Prefix<V>[] | { readonly [k: string]: Prefix<V> };

/** Options of {@link broadcastPrefix}. */
export interface PrefixOptions<V> {
  /** Value for leaves under an object key the prefix leaves out (default: an error). */
  missing?: V;
  /** Name of the calling function, for errors. */
  what: string;
}

/**
 * The leaves of `prefix` broadcast to the leaves of `full` (in `flatten` order): a value at a
 * node applies to every leaf below it.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { broadcastPrefix } from "./tree_util.ts";
 * broadcastPrefix({ a: 1, nn: 2 }, { a: array(0), nn: [array(0), array(0)] }, { what: "lr" });
 * // [1, 2, 2]
 * ```
 */
export function broadcastPrefix<V>(
  prefix: Prefix<V>,
  full: unknown,
  opts: PrefixOptions<V>,
): V[] {
  const [, def] = flatten(full);
  const out: V[] = [];
  const fill = (d: TreeDef, v: V) => {
    if (d.kind === "leaf") out.push(v);
    else if (d.kind === "list" || d.kind === "dict") d.children.forEach((c) => fill(c, v));
  };
  const walk = (p: unknown, d: TreeDef, path: string) => {
    const isList = globalThis.Array.isArray(p);
    const isDict = !isList && typeof p === "object" && p !== null && !(p instanceof Array) &&
      Object.getPrototypeOf(p) === Object.prototype;
    if (!isList && !isDict) return fill(d, p as V);
    if (isList && d.kind === "list") {
      const ps = p as unknown[];
      if (ps.length !== d.children.length) {
        throw new RangeError(
          `${opts.what}: ${
            path || "the tree"
          } has ${ps.length} entries, the parameters have ${d.children.length}`,
        );
      }
      return d.children.forEach((c, i) => walk(ps[i], c, `${path}[${i}]`));
    }
    if (isDict && d.kind === "dict") {
      const pd = p as Record<string, unknown>;
      for (const k of Object.keys(pd)) {
        if (!d.keys.includes(k)) {
          throw new RangeError(
            `${opts.what}: unknown key ${JSON.stringify(`${path}${path ? "." : ""}${k}`)} ` +
              `(parameters: ${treedefString(d)})`,
          );
        }
      }
      return d.keys.forEach((k, i) => {
        const at = `${path}${path ? "." : ""}${k}`;
        if (k in pd) return walk(pd[k], d.children[i], at);
        if (opts.missing === undefined) {
          throw new RangeError(`${opts.what}: no value for parameter ${JSON.stringify(at)}`);
        }
        fill(d.children[i], opts.missing);
      });
    }
    throw new TypeError(
      `${opts.what}: ${path || "the tree"} does not match the parameters' structure ${
        treedefString(d)
      }`,
    );
  };
  walk(prefix, def, "");
  return out;
}

/**
 * Maps `f` over the leaves of `t` and of trees of the same structure, returning a tree of `t`'s
 * structure (like `tree.map`, with typed leaves).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { mapTrees } from "./tree_util.ts";
 * mapTrees((a, b) => a.add(b), { x: array(1) }, { x: array(2) }); // {x: 3}
 * ```
 */
export function mapTrees<T extends Params>(
  f: (...xs: Array[]) => Array,
  t: T,
  ...rest: unknown[]
): T {
  const [ls, def] = flatten<Array>(t);
  const others = rest.map((r, j) => {
    const [l, d] = flatten<Array>(r);
    if (treedefString(d) !== treedefString(def)) {
      throw new Error(
        `optim: tree ${j + 1} has structure ${treedefString(d)}, expected ${treedefString(def)}`,
      );
    }
    return l;
  });
  return unflatten(def, ls.map((x, i) => f(x, ...others.map((o) => o[i])))) as T;
}
