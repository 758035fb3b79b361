/**
 * Parameters as JSON: any pytree of zgrad arrays (e.g. an MLP's) to a JSON document and back,
 * exactly (JSON numbers print the shortest decimal that parses back to the same double, so float64
 * and float32 values round-trip bit for bit).
 *
 * @module
 */
import { Array } from "../core/array.ts";
import { array } from "../core/ops/convert.ts";
import { type DType, DTYPES } from "../core/dtype.ts";
import { flatten, type Tree, unflatten } from "../core/tree.ts";

const FORMAT = "zgrad-params";

interface LeafJson {
  dtype: DType;
  shape: number[];
  data: number[];
}

/** The JSON form of a pytree of arrays (see {@link paramsToJson}). */
export interface ParamsJson {
  /** Always `"zgrad-params"`. */
  format: typeof FORMAT;
  /** Format version (1). */
  version: 1;
  /** The tree, with each array as `{dtype, shape, data}`. */
  tree: unknown;
}

/**
 * A pytree of arrays as a JSON-ready object `{format, version, tree}`, each array written as
 * `{dtype, shape, data}` (data flat, row-major).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { paramsFromJson, paramsToJson } from "./io.ts";
 * const text = JSON.stringify(paramsToJson({ w: array([0.1, 0.2], "float64") }));
 * const back = paramsFromJson(JSON.parse(text));
 * ```
 */
export function paramsToJson(params: Tree<Array>): ParamsJson {
  const [ls, def] = flatten<Array>(params);
  const leaves: LeafJson[] = ls.map((a, i) => {
    if (!(a instanceof Array)) throw new TypeError(`paramsToJson: leaf ${i} is not a zgrad array`);
    return {
      dtype: a.dtype,
      shape: [...a.shape],
      data: globalThis.Array.from(a.dataSync(), Number),
    };
  });
  return { format: FORMAT, version: 1, tree: unflatten(def, leaves as unknown[]) };
}

function isLeafJson(x: unknown): x is LeafJson {
  return typeof x === "object" && x !== null && "dtype" in x && "shape" in x && "data" in x;
}

/**
 * Rebuilds the pytree written by {@link paramsToJson}; errors name the path of a bad entry.
 *
 * @example
 * ```ts
 * import { paramsFromJson } from "./io.ts";
 * const p = paramsFromJson({ format: "zgrad-params", version: 1, tree: { b: { dtype: "float32", shape: [1], data: [0] } } });
 * ```
 */
export function paramsFromJson(doc: unknown, source = "params"): Tree<Array> {
  const d = doc as Partial<ParamsJson> | null;
  if (typeof d !== "object" || d === null || d.format !== FORMAT || d.version !== 1) {
    throw new Error(`${source}: not a ${FORMAT} version 1 document`);
  }
  const build = (x: unknown, path: string): unknown => {
    if (isLeafJson(x)) {
      const { dtype, shape, data } = x;
      if (!DTYPES.includes(dtype)) throw new Error(`${source}: ${path}: unknown dtype ${dtype}`);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!globalThis.Array.isArray(data) || data.length !== n) {
        throw new Error(`${source}: ${path}: shape [${shape}] needs ${n} values`);
      }
      return array(data, dtype).reshape(shape);
    }
    if (globalThis.Array.isArray(x)) return x.map((v, i) => build(v, `${path}[${i}]`));
    if (x === null) return null;
    if (typeof x === "object") {
      return Object.fromEntries(
        Object.entries(x).map(([k, v]) => [k, build(v, path ? `${path}.${k}` : k)]),
      );
    }
    throw new Error(`${source}: ${path || "tree"}: unexpected ${JSON.stringify(x)}`);
  };
  return build(d.tree, "") as Tree<Array>;
}

/**
 * Writes a pytree of arrays to `path` as JSON (see {@link paramsToJson}); needs `--allow-write`.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { loadParams, saveParams } from "./io.ts";
 * await saveParams("/tmp/mlp.json", [{ w: array([[1]]), b: array([0]) }]);
 * const p = await loadParams("/tmp/mlp.json");
 * ```
 */
export async function saveParams(path: string, params: Tree<Array>): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(paramsToJson(params)));
}

/**
 * Reads parameters written by {@link saveParams}; errors name the file.
 *
 * @example
 * ```ts
 * import { loadParams } from "./io.ts";
 * const p = await loadParams("/tmp/mlp.json");
 * ```
 */
export async function loadParams(path: string): Promise<Tree<Array>> {
  let doc: unknown;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`loadParams: cannot read ${path}: ${(e as Error).message}`);
  }
  return paramsFromJson(doc, path);
}
