/**
 * Printing arrays like numpy, and converting them to nested JS lists.
 *
 * @module
 */
import type { Array } from "../array.ts";
import { Tracer } from "../trace.ts";

function fmtNum(v: number, dtype: string): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32") return String(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e16)
    ? v.toExponential(dtype === "float64" ? 8 : 5)
    : String(Number(v.toPrecision(dtype === "float64" ? 10 : 7)));
}

/** numpy-like text, e.g. `[[1., 2.],\n [3., 4.]]`; tracers print their abstract value. */
export function formatArray(x: Array): string {
  if (x instanceof Tracer) return `Traced<${x.aval}> (inside ${x.trace.kind})`;
  const data = x.dataSync();
  const strs = globalThis.Array.from(data, (v) => fmtNum(v, x.dtype));
  const width = Math.max(0, ...strs.map((s) => s.length));
  const pad = x.dtype === "bool" ? (s: string) => s : (s: string) => s.padStart(width);
  let k = 0;
  const rec = (dim: number, indent: string): string => {
    if (dim === x.ndim) return pad(strs[k++]);
    const n = x.shape[dim];
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(rec(dim + 1, indent + " "));
    const sep = dim === x.ndim - 1
      ? ", "
      : ",\n" + "\n".repeat(Math.max(0, x.ndim - dim - 2)) + indent + " ";
    return `[${parts.join(sep)}]`;
  };
  const body = rec(0, "");
  return x.dtype === "float32" || x.dtype === "bool" ? body : `${body} (${x.dtype})`;
}

/** Nested JS lists of the elements (booleans for bool arrays). */
export function tolist(x: Array): unknown {
  const data = x.dataSync();
  let k = 0;
  const rec = (dim: number): unknown => {
    if (dim === x.ndim) {
      const v = data[k++];
      return x.dtype === "bool" ? v !== 0 : v;
    }
    return globalThis.Array.from({ length: x.shape[dim] }, () => rec(dim + 1));
  };
  return rec(0);
}
