/**
 * Shape arithmetic: sizes, strides, numpy broadcasting and axis normalisation.
 *
 * @module
 */

/** An array shape: one non-negative integer per dimension. */
export type Shape = readonly number[];

/** Number of elements of an array of shape `s`. */
export function sizeOf(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** Row-major (C order) strides, in elements. */
export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/** Formats a shape like `[3,2]` for error messages. */
export function fmtShape(s: Shape): string {
  return `[${s.join(",")}]`;
}

/** True when both shapes are identical. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * numpy broadcasting of several shapes; throws naming `op` and the shapes when they are incompatible.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i;
      const d = s[i];
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else {
        throw new Error(
          `${op}: incompatible shapes for broadcasting: ${shapes.map(fmtShape).join(" and ")}`,
        );
      }
    }
  }
  return out;
}

/** Normalises a possibly negative axis for an array of rank `ndim`, naming `op` on error. */
export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(`${op}: axis ${axis} is out of bounds for an array of rank ${ndim}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalises an `axis` argument (undefined = all axes, a number, or a list) into sorted unique axes.
 */
export function normAxes(op: string, axis: number | readonly number[] | undefined, ndim: number) {
  if (axis === undefined || axis === null) return [...Array(ndim).keys()];
  const list = typeof axis === "number" ? [axis] : axis;
  const out = list.map((a) => normAxis(op, a, ndim));
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated axis in ${list}`);
  return out.sort((a, b) => a - b);
}

/** Checks that `s` is a valid shape (non-negative integers). */
export function checkShape(op: string, s: readonly number[]): number[] {
  for (const d of s) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(s)}`);
  }
  return [...s];
}
