/**
 * `einsum`: Einstein summation over labelled axes (numpy's notation), lowered to diagonals,
 * sums, transposes, reshapes and batched matrix products — so derivatives, `vmap` and `jit` come
 * from those primitives.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { asArray, broadcastTo, castTo, resultType } from "./convert.ts";
import { diagonal, matmul } from "./linalg.ts";
import { sum } from "./reduce.ts";
import { reshape, transpose } from "./shape.ts";

/** An operand with one label per axis (ellipsis axes get labels "…0", "…1", …). */
interface Labelled {
  x: Array;
  labels: string[];
}

const LETTER = /^[a-zA-Z]$/;

/** Splits one operand's subscripts into labels, expanding "..." into `ndim − letters` labels. */
function parseTerm(term: string, ndim: number | null, ellipsis: number, op: string): string[] {
  const dots = term.indexOf("...");
  const letters = term.replace("...", "").split("");
  for (const c of letters) {
    if (!LETTER.test(c)) throw new SyntaxError(`${op}: invalid subscript ${JSON.stringify(c)}`);
  }
  if (dots < 0) {
    if (ndim !== null && letters.length !== ndim) {
      throw new RangeError(
        `${op}: subscripts ${
          JSON.stringify(term)
        } name ${letters.length} axes of an operand with ${ndim}`,
      );
    }
    return letters;
  }
  if (term.indexOf("...", dots + 1) >= 0) throw new SyntaxError(`${op}: "..." twice in ${term}`);
  const e = ndim === null ? ellipsis : ndim - letters.length;
  if (e < 0) throw new RangeError(`${op}: subscripts ${JSON.stringify(term)} exceed ${ndim} axes`);
  const before = term.slice(0, dots).split(""), after = term.slice(dots + 3).split("");
  const ell = globalThis.Array.from({ length: e }, (_, i) => `…${ellipsis - e + i}`);
  return [...before, ...ell, ...after];
}

/** Takes diagonals until no label repeats within the operand. */
function dedupe(t: Labelled): Labelled {
  let { x, labels } = t;
  for (;;) {
    const dup = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (dup < 0) return { x, labels };
    const first = labels.indexOf(labels[dup]);
    x = diagonal(x, 0, first, dup);
    labels = [...labels.filter((_, i) => i !== first && i !== dup), labels[dup]];
  }
}

/** Sums the axes whose labels are not in `keep`. */
function sumOut(t: Labelled, keep: Set<string>): Labelled {
  const axes = t.labels.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (axes.length === 0) return t;
  return { x: sum(t.x, axes), labels: t.labels.filter((l) => keep.has(l)) };
}

/** Broadcasts size-1 axes of `t` to the sizes recorded in `size`. */
function stretch(t: Labelled, size: Map<string, number>): Array {
  const shape = t.labels.map((l) => size.get(l)!);
  return shape.every((d, i) => d === t.x.shape[i]) ? t.x : broadcastTo(t.x, shape);
}

/** Contracts two operands, keeping the labels in `keep`, as one batched matmul. */
function contract(
  a: Labelled,
  b: Labelled,
  keep: Set<string>,
  size: Map<string, number>,
): Labelled {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  a = sumOut(a, new Set([...keep, ...inB]));
  b = sumOut(b, new Set([...keep, ...inA]));
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const con = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const dims = (ls: string[]) => ls.map((l) => size.get(l)!);
  const prod = (ls: string[]) => dims(ls).reduce((p, d) => p * d, 1);
  const ax = stretch(a, size), bx = stretch(b, size);
  const at = transpose(ax, [...batch, ...aOnly, ...con].map((l) => a.labels.indexOf(l)));
  const bt = transpose(bx, [...batch, ...con, ...bOnly].map((l) => b.labels.indexOf(l)));
  const m = matmul(
    reshape(at, [prod(batch), prod(aOnly), prod(con)]),
    reshape(bt, [prod(batch), prod(con), prod(bOnly)]),
  );
  return {
    x: reshape(m, dims([...batch, ...aOnly, ...bOnly])),
    labels: [...batch, ...aOnly, ...bOnly],
  };
}

/**
 * Einstein summation, as `numpy.einsum`: `"ij,jk->ik"` multiplies matrices, `"ii->i"` takes a
 * diagonal, `"ij->"` sums, `"...ij,...jk"` batches; without `->` the output is the labels
 * that occur once, in alphabetical order (numpy's implicit mode). Operands are contracted left
 * to right, each pair as one batched matrix product; sizes of 1 broadcast.
 *
 * @example
 * ```ts
 * import { array, einsum } from "./mod.ts";
 * const a = array([[1, 2], [3, 4]]), b = array([[5, 6], [7, 8]]);
 * einsum("ij,jk->ik", a, b); // [[19, 22], [43, 50]]
 * einsum("ii", a); // 5 (the trace)
 * einsum("ij->j", a); // [4, 6]
 * ```
 */
export function einsum(subscripts: string, ...operands: ArrayLike[]): Array {
  const op = "einsum";
  const spec = subscripts.replace(/\s+/g, "");
  const [lhs, rhs, extra] = spec.split("->");
  if (extra !== undefined) throw new SyntaxError(`${op}: more than one "->" in ${subscripts}`);
  const terms = lhs.split(",");
  if (terms.length !== operands.length) {
    throw new RangeError(
      `${op}: ${terms.length} operand subscripts for ${operands.length} operands`,
    );
  }
  const arrs = operands.map(asArray);
  let t = resultType(...arrs);
  if (t.dtype === "bool") t = { dtype: "int32", weak: t.weak };
  const ellipsis = Math.max(
    0,
    ...terms.map((s, i) => (s.includes("...") ? arrs[i].ndim - (s.length - 3) : 0)),
  );
  let ops: Labelled[] = terms.map((s, i) => ({
    x: castTo(arrs[i], t),
    labels: parseTerm(s, arrs[i].ndim, ellipsis, op),
  }));
  const size = new Map<string, number>();
  for (const o of ops) {
    o.labels.forEach((l, i) => {
      const d = o.x.shape[i], prev = size.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) {
        throw new RangeError(`${op}: label ${l} has sizes ${prev} and ${d}`);
      }
      size.set(l, prev === undefined || prev === 1 ? d : prev);
    });
  }
  const out = rhs === undefined
    ? implicitOutput(ops, ellipsis)
    : parseTerm(rhs, null, ellipsis, op);
  for (const l of out) {
    if (!size.has(l)) throw new RangeError(`${op}: output label ${l} is not in any operand`);
    if (out.indexOf(l) !== out.lastIndexOf(l)) {
      throw new RangeError(`${op}: output label ${l} appears twice`);
    }
  }
  ops = ops.map(dedupe);
  let acc = ops[0];
  for (let k = 1; k < ops.length; k++) {
    const later = ops.slice(k + 1).flatMap((o) => o.labels);
    acc = contract(acc, ops[k], new Set([...out, ...later]), size);
  }
  acc = sumOut(acc, new Set(out));
  const x = stretch(acc, size);
  return transpose(x, out.map((l) => acc.labels.indexOf(l)));
}

/** numpy's implicit output: ellipsis labels, then the letters used once, alphabetically. */
function implicitOutput(ops: Labelled[], ellipsis: number): string[] {
  const count = new Map<string, number>();
  for (const o of ops) for (const l of o.labels) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([l, c]) => c === 1 && !l.startsWith("…")).map(([l]) => l);
  return [...globalThis.Array.from({ length: ellipsis }, (_, i) => `…${i}`), ...once.sort()];
}
