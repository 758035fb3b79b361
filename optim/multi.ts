/**
 * Different transformations for different parameters (optax `multi_transform`).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { flatten, unflatten } from "../core/tree.ts";
import type { GradientTransformation, OptState } from "./transform.ts";
import { broadcastPrefix, type Params, type Prefix } from "./tree_util.ts";

/**
 * Applies `transforms[label]` to the parameters labelled `label` (optax `multi_transform`).
 * `labels` is a prefix tree of labels (one label standing for a whole subtree) or a function of
 * the parameters returning one. Each transformation sees its parameters as a list of arrays; the
 * state is `{label: state}`.
 *
 * @example
 * ```ts
 * import { adam, multiTransform, sgd } from "./mod.ts";
 * const opt = multiTransform(
 *   { cuts: adam(1.0), nn: sgd(5e-4) },
 *   { met: "cuts", btag: "cuts", nn: "nn" },
 * );
 * ```
 */
export function multiTransform(
  transforms: Record<string, GradientTransformation>,
  labels: Prefix<string> | ((params: Params) => Prefix<string>),
): GradientTransformation {
  const names = Object.keys(transforms);
  const labelsOf = (params: Params): string[] => {
    const ls = broadcastPrefix(
      typeof labels === "function" ? labels(params) : labels,
      params,
      { what: "multiTransform (labels)" },
    );
    for (const l of ls) {
      if (!names.includes(l)) {
        throw new RangeError(
          `multiTransform: label ${JSON.stringify(l)} has no transformation (labels: ${
            names.join(", ")
          })`,
        );
      }
    }
    return ls;
  };
  const group = (leaves: Array[], ls: string[], name: string) =>
    leaves.filter((_, i) => ls[i] === name);
  return {
    init: (params) => {
      const ls = labelsOf(params);
      const leaves = flatten<Array>(params)[0];
      return Object.fromEntries(
        names.map((n) => [n, transforms[n].init(group(leaves, ls, n))]),
      ) as OptState;
    },
    update: (updates, state, params) => {
      const ls = labelsOf(updates);
      const [us, def] = flatten<Array>(updates);
      const ps = params === undefined ? undefined : flatten<Array>(params)[0];
      const st = state as Record<string, OptState>;
      const out = us.slice();
      const next: Record<string, OptState> = {};
      for (const n of names) {
        if (!(n in st)) throw new RangeError(`multiTransform.update: the state has no ${n}`);
        const [u, s] = transforms[n].update(
          group(us, ls, n),
          st[n],
          ps && group(ps, ls, n),
        );
        const ul = u as Array[];
        let k = 0;
        ls.forEach((l, i) => {
          if (l === n) out[i] = ul[k++];
        });
        next[n] = s;
      }
      return [unflatten(def, out) as Params, next as OptState];
    },
  };
}
