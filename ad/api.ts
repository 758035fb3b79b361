// deno-lint-ignore-file no-explicit-any -- transforms take and return arbitrary pytrees, like JAX.
/**
 * The public transforms on pytrees: jvp, linearize, vjp, grad, valueAndGrad, jacfwd, jacrev,
 * hessian, vmap.
 *
 * @module
 */
import { Array } from "../core/array.ts";
import { flattenArgs, flattenFun, leavesToArrays } from "../core/api_util.ts";
import { isFloat } from "../core/dtype.ts";
import { asArray, broadcastTo } from "../core/ops/convert.ts";
import { eye, zerosLike } from "../core/ops/creation.ts";
import { reshape } from "../core/ops/shape.ts";
import { moveaxis, stack } from "../core/ops/shape.ts";
import {
  flatten,
  numLeaves,
  type TreeDef,
  treedefEqual,
  treedefString,
  unflatten,
} from "../core/tree.ts";
import {
  currentGradMode,
  forwardGradients,
  forwardJvps,
  type GradMode,
  wantsForward,
} from "./grad_mode.ts";
import { jvpFlat } from "./jvp.ts";
import { backwardPass, linearizeFlat } from "./linearize.ts";
import { type BDim, vmapFlat } from "./vmap.ts";

/** Any function of pytrees (the functions transforms accept and return). */
export type Fn = (...args: any[]) => any;

/**
 * Forward-mode: returns `[f(primals), ∂f·tangents]` (pytrees like f's output).
 *
 * @example
 * ```ts
 * import { jvp, sin, array } from "./mod.ts";
 * const [y, dy] = jvp(sin, [array(0)], [array(1)]); // dy = cos(0) = 1
 * ```
 */
export function jvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  const [ps, inDef] = flattenArgs("jvp", primals);
  const [ts, tDef] = flattenArgs("jvp", tangents);
  if (!treedefEqual(inDef, tDef)) {
    throw new Error(
      `jvp: primals ${treedefString(inDef)} and tangents ${
        treedefString(tDef)
      } differ in structure`,
    );
  }
  ts.forEach((t, i) => {
    const p = ps[i];
    if (t.shape.join() !== p.shape.join()) {
      throw new Error(
        `jvp: tangent ${i} has shape [${t.shape}] but its primal has shape [${p.shape}]`,
      );
    }
    // As JAX: a float primal's tangent has its dtype (a JS number, weakly typed, adapts).
    // Tangents of int/bool primals are ignored (their derivative is zero).
    if (isFloat(p.dtype) && t.dtype !== p.dtype && !(t.weakType && t.ndim === 0)) {
      throw new TypeError(
        `jvp: primal and tangent arguments do not match: primal ${i} has dtype ${p.dtype}, so ` +
          `its tangent must be ${p.dtype}, but got tangent dtype ${t.dtype} ` +
          `(use astype("${p.dtype}"))`,
      );
    }
  });
  const { flat, outDef } = flattenFun("jvp", (...args: unknown[]) => f(...args), inDef);
  const [outs, touts] = jvpFlat(flat, ps, ts);
  const def = outDef();
  return [unflatten(def, outs), unflatten(def, touts.map((t, i) => t ?? zerosLike(outs[i])))];
}

/** Options of {@link vjp}. */
export interface VjpOptions {
  /** f returns `[output, aux]`; aux is returned as is, not differentiated. */
  hasAux?: boolean;
}

/**
 * Reverse-mode: returns `[f(...primals), vjpFn]` where `vjpFn(cotangent)` gives one cotangent per
 * argument (a list). With `hasAux`, returns `[out, vjpFn, aux]`.
 *
 * @example
 * ```ts
 * import { vjp, array } from "./mod.ts";
 * const [y, back] = vjp((x) => x.mul(x), array([3]));
 * back(array([1]))[0]; // [6]
 * ```
 */
export function vjp(f: Fn, ...primals: unknown[]): [any, (ct: unknown) => any[], ...unknown[]] {
  return vjpWithOptions(f, primals, {});
}

/** {@link vjp} with options (`hasAux`). */
export function vjpWithOptions(
  f: Fn,
  primals: unknown[],
  opts: VjpOptions,
): [any, (ct: unknown) => any[], ...unknown[]] {
  return vjpImpl(f, primals, opts, "vjp");
}

/**
 * vjp, naming the transform `kind` ("vjp" or "grad") in tracer error messages. With `hasAux`, the
 * aux leaves are extra outputs of the linearized function: their primal values are what is
 * returned (concrete arrays, or values of the enclosing transforms, never this transform's
 * tracers), and they get zero cotangents.
 */
function vjpImpl(
  f: Fn,
  primals: unknown[],
  opts: VjpOptions,
  kind: string,
): [any, (ct: unknown) => any[], ...unknown[]] {
  const [ps, inDef] = flattenArgs(kind, primals);
  const g = opts.hasAux
    ? (...args: unknown[]) => {
      const r = f(...args);
      if (!globalThis.Array.isArray(r) || r.length !== 2) {
        throw new Error(`${kind} with hasAux: the function must return [output, aux]`);
      }
      return r;
    }
    : f;
  const { flat, outDef } = flattenFun(kind, g, inDef);
  const lin = linearizeFlat(flat, ps, kind);
  const fullDef = outDef();
  // With hasAux the output tree is [output, aux]: split its leaves.
  const def = opts.hasAux ? listChild(fullDef, 0) : fullDef;
  const nOut = opts.hasAux ? numLeaves(def) : lin.outs.length;
  const back = (ct: unknown) => {
    const [cts, ctDef] = flatten(ct);
    if (!treedefEqual(ctDef, def)) {
      throw new Error(
        `vjp: cotangent structure ${treedefString(ctDef)} differs from output ${
          treedefString(def)
        }`,
      );
    }
    const ctArrs = leavesToArrays("vjp cotangent", cts).map((c, i) => {
      const o = lin.outs[i];
      if (c.shape.join() !== o.shape.join()) {
        throw new Error(
          `vjp: cotangent ${i} has shape [${c.shape}], output has shape [${o.shape}]`,
        );
      }
      return c;
    });
    const used = lin.outs.map((_, i) => (i < nOut ? ctArrs[i] : null))
      .filter((_, i) => lin.outMask[i]);
    const inCts = backwardPass(lin.jaxpr, lin.consts, used);
    let k = 0;
    const full = ps.map((p, i) => {
      const c = lin.inMask[i] ? inCts[k++] : null;
      return c ?? zerosLike(p);
    });
    return unflatten(inDef, full) as unknown[];
  };
  const out = unflatten(def, lin.outs.slice(0, nOut));
  if (!opts.hasAux) return [out, back];
  return [out, back, unflatten(listChild(fullDef, 1), lin.outs.slice(nOut))];
}

/** Child `i` of a list tree. */
function listChild(def: TreeDef, i: number): TreeDef {
  if (def.kind !== "list") throw new Error("internal: expected a list tree");
  return def.children[i];
}

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0); an array gives a list of gradients. */
  argnums?: number | readonly number[];
  /** f returns `[value, aux]`. */
  hasAux?: boolean;
  /**
   * `"reverse"` (a backward pass, JAX's `grad`), `"forward"` (one JVP per input element: under
   * `jit`, fused into the forward pass) or `"auto"` (forward for at most 4 input elements and no
   * customVjp inside). Default: the `gradMode` of the `jit` being traced (itself `"auto"` by
   * default), `"reverse"` outside `jit`. See `ad/grad_mode.ts`.
   */
  mode?: GradMode;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), ∇f]` (or `[[value, aux], ∇f]` with `hasAux`).
 * f must return a float scalar.
 *
 * @example
 * ```ts
 * import { valueAndGrad, array } from "./mod.ts";
 * const [v, g] = valueAndGrad((x) => x.square().sum())(array([1, 2])); // 5, [2, 4]
 * ```
 */
export function valueAndGrad(f: Fn, opts: GradOptions = {}): (...args: any[]) => [any, any] {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  return (...args: unknown[]) => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new RangeError(`grad: argnums ${n} is out of range for ${args.length} argument(s)`);
      }
      const [ls] = flatten(args[n]);
      leavesToArrays("grad", ls).forEach((l) => {
        if (!isFloat(l.dtype)) {
          throw new TypeError(
            `grad: argument ${n} has dtype ${l.dtype}; grad requires float inputs (use astype("float32") or "float64")`,
          );
        }
      });
    }
    const diffArgs = nums.map((n) => args[n]);
    const g = (...d: unknown[]) => {
      const full = [...args];
      nums.forEach((n, i) => (full[n] = d[i]));
      return f(...full);
    };
    const fwd = forwardValueAndGrad(g, diffArgs, opts.mode ?? currentGradMode(), !!opts.hasAux);
    if (fwd) return [fwd.value, typeof argnums === "number" ? fwd.grads[0] : fwd.grads];
    const [out, back, aux] = vjpImpl(g, diffArgs, { hasAux: opts.hasAux }, "grad");
    checkScalarOutput(out);
    const grads = back(broadcastTo(asArray(1).astype(out.dtype), []));
    const res = typeof argnums === "number" ? grads[0] : grads;
    return [opts.hasAux ? [out, aux] : out, res];
  };
}

/** The checks of `grad`'s output: a float scalar array. */
function checkScalarOutput(out: unknown): asserts out is Array {
  if (!(out instanceof Array)) {
    throw new TypeError("grad: the function must return a single scalar array, got a pytree");
  }
  if (out.ndim !== 0) {
    throw new TypeError(
      `grad: the function must return a scalar (shape []), got ${out.aval}; use vjp or jacrev for non-scalar outputs`,
    );
  }
  if (!isFloat(out.dtype)) throw new TypeError(`grad: the output must be float, got ${out.aval}`);
}

/**
 * `valueAndGrad` in forward mode (`ad/grad_mode.ts`): the value (with aux) and the gradients of
 * the differentiated arguments `diffArgs` of `g`, or null when `mode` does not choose forward mode
 * here (then reverse mode runs).
 */
function forwardValueAndGrad(g: Fn, diffArgs: unknown[], mode: GradMode, hasAux: boolean) {
  if (mode === "reverse") return null;
  const [xs, inDef] = flattenArgs("grad", diffArgs);
  if (xs.length === 0 || !wantsForward(mode, xs)) return null;
  const { flat, outDef } = flattenFun("grad", g, inDef);
  const dirs = forwardJvps(flat, xs, mode, "grad");
  if (!dirs) return null;
  const full = unflatten(outDef(), dirs[0][0]);
  const [out, aux] = hasAux ? (full as unknown[]) : [full];
  checkScalarOutput(out);
  const grads = unflatten(inDef, forwardGradients(dirs, xs, 0)) as unknown[];
  return { value: hasAux ? [out, aux] : out, grads };
}

/**
 * `grad(f)(...args)`: the gradient of scalar `f` with respect to argument `argnums` (default 0).
 *
 * @example
 * ```ts
 * import { grad, sin, cos, array } from "./mod.ts";
 * grad(sin)(array(0.5)); // cos(0.5)
 * ```
 */
export function grad(f: Fn, opts: GradOptions = {}): (...args: any[]) => any {
  const vg = valueAndGrad(f, opts);
  return (...args) => {
    const [v, g] = vg(...args);
    return opts.hasAux ? [g, (v as unknown[])[1]] : g;
  };
}

/** Options of {@link vmap}. */
export interface VmapOptions {
  /** Batch axis of each argument (a number for all, null = not batched, or a per-argument list/pytree). */
  inAxes?: unknown;
  /** Batch axis of each output (default 0). */
  outAxes?: unknown;
}

function broadcastPrefix(op: string, spec: unknown, def: TreeDef, what: string): (number | null)[] {
  if (spec === null || typeof spec === "number") {
    return new globalThis.Array(numLeaves(def)).fill(spec);
  }
  // spec is a prefix tree of def.
  const out: (number | null)[] = [];
  const walk = (s: unknown, d: TreeDef) => {
    if (s === null || typeof s === "number") {
      for (let i = 0; i < numLeaves(d); i++) out.push(s);
      return;
    }
    if (d.kind === "list" && globalThis.Array.isArray(s) && s.length === d.children.length) {
      d.children.forEach((c, i) => walk(s[i], c));
      return;
    }
    if (d.kind === "dict" && typeof s === "object") {
      const o = s as Record<string, unknown>;
      d.keys.forEach((k, i) => walk(k in o ? o[k] : 0, d.children[i]));
      return;
    }
    throw new Error(
      `${op}: ${what} ${JSON.stringify(s)} does not match the structure ${treedefString(d)}`,
    );
  };
  walk(spec, def);
  return out;
}

/**
 * Vectorising map: `vmap(f)(xs)` applies f to each slice of xs along axis 0, as one batched
 * computation.
 *
 * @example
 * ```ts
 * import { vmap, array } from "./mod.ts";
 * vmap((r) => r.sum())(array([[1, 2], [3, 4]])); // [3, 7]
 * ```
 */
export function vmap(f: Fn, opts: VmapOptions = {}): (...args: any[]) => any {
  return (...args: unknown[]) => {
    const [xs, inDef] = flattenArgs("vmap", args);
    const inAxes = opts.inAxes ?? 0;
    // A per-argument list of axes is a prefix of the argument list's structure.
    const dims0 = broadcastPrefix("vmap", inAxes, inDef, "inAxes");
    const dims = dims0.map((d, i) => (d === null ? null : d < 0 ? d + xs[i].ndim : d));
    let size: number | undefined;
    dims.forEach((d, i) => {
      if (d === null) return;
      if (d < 0 || d >= xs[i].ndim) {
        throw new RangeError(
          `vmap: inAxes ${dims0[i]} out of range for argument leaf ${i} of shape [${xs[i].shape}]`,
        );
      }
      const s = xs[i].shape[d];
      if (size !== undefined && s !== size) {
        throw new Error(
          `vmap: inconsistent batch sizes: ${size} and ${s} (leaf ${i}, shape [${xs[i].shape}])`,
        );
      }
      size = s;
    });
    if (size === undefined) throw new Error("vmap: no argument is batched (all inAxes are null)");
    // Unbatched JS numbers reach f as they are (weakly typed, full precision), as they would
    // outside vmap.
    const [raw] = flatten(args);
    const keep = raw.map((l, i) => typeof l === "number" && dims[i] === null);
    const g = !keep.some(Boolean) ? f : (...as: unknown[]) => {
      const [ls] = flatten(as);
      return f(...(unflatten(inDef, ls.map((l, i) => (keep[i] ? raw[i] : l))) as unknown[]));
    };
    const { flat, outDef } = flattenFun("vmap", g, inDef);
    const [outs, odims] = vmapFlat(flat, xs, dims, size);
    const def = outDef();
    const outAxes = broadcastPrefix("vmap", opts.outAxes ?? 0, def, "outAxes");
    const res = outs.map((o, i) => {
      const want = outAxes[i];
      const d: BDim = odims[i];
      if (want === null) {
        if (d !== null) throw new Error("vmap: an output with outAxes null varies along the batch");
        return o;
      }
      const b = d === null ? broadcastTo(o, [size!, ...o.shape]) : d === 0 ? o : moveaxis(o, d, 0);
      const w = want < 0 ? want + b.ndim : want;
      return w === 0 ? b : moveaxis(b, 0, w);
    });
    return unflatten(def, res);
  };
}

/**
 * Jacobian by forward mode (one JVP per input element, vectorised with vmap). For array input and
 * output, the result has shape `out.shape + in.shape`.
 *
 * @example
 * ```ts
 * import { jacfwd, array } from "./mod.ts";
 * jacfwd((x) => x.mul(x))(array([1, 2])); // [[2, 0], [0, 4]]
 * ```
 */
export function jacfwd(f: Fn, opts: { argnums?: number } = {}): (...args: any[]) => any {
  const argnums = opts.argnums ?? 0;
  return (...args: unknown[]) => {
    const [xs, xDef] = flatten(args[argnums]);
    const xa = leavesToArrays("jacfwd", xs);
    const sizes = xa.map((a) => a.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const basis = eye(total, total, 0, xa[0]?.dtype ?? "float32");
    const pushfwd = (row: Array) => {
      let off = 0;
      const ts = xa.map((a, i) => {
        const t = reshape(row.slice({ start: off, stop: off + sizes[i] }), a.shape);
        off += sizes[i];
        // Leaves of other float dtypes get their own tangent dtype (jvp checks it).
        return isFloat(a.dtype) && t.dtype !== a.dtype ? t.astype(a.dtype) : t;
      });
      const g = (...leaves: Array[]) => {
        const full = [...args];
        full[argnums] = unflatten(xDef, leaves);
        return f(...full);
      };
      return jvp(g, xa, ts)[1];
    };
    // Under `jit` (forward mode, or auto: few input elements on data), one JVP per element traced
    // side by side: their reductions share a domain with the value's, so they fuse into one pass
    // (vmap's batched tangents would not). Otherwise the JVPs are batched with vmap.
    const mode = currentGradMode();
    const unrolled = mode !== "reverse" && total > 0 && wantsForward(mode, xa)
      ? unrolledJacobian(f, args, argnums, xa, xDef, mode)
      : null;
    const jacT = unrolled ?? vmap(pushfwd, { inAxes: 0, outAxes: -1 })(basis);
    // Split the last (input) axis back into the input leaves' shapes.
    return mapTree(jacT, (j: Array) => splitLast(j, xa, xDef));
  };
}

/**
 * Jacobian by reverse mode (one VJP per output element, vectorised with vmap).
 *
 * @example
 * ```ts
 * import { jacrev, array } from "./mod.ts";
 * jacrev((x) => x.mul(x))(array([1, 2])); // [[2, 0], [0, 4]]
 * ```
 */
export function jacrev(f: Fn, opts: { argnums?: number } = {}): (...args: any[]) => any {
  const argnums = opts.argnums ?? 0;
  return (...args: unknown[]) => {
    const g = (x: unknown) => {
      const full = [...args];
      full[argnums] = x;
      return f(...full);
    };
    const [out, back] = vjp(g, args[argnums]);
    const [outs, outDef] = flatten(out);
    const oa = leavesToArrays("jacrev", outs);
    const sizes = oa.map((a) => a.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const basis = eye(total, total, 0, oa[0]?.dtype ?? "float32");
    const pullback = (row: Array) => {
      let off = 0;
      const cts = oa.map((a, i) => {
        const c = reshape(row.slice({ start: off, stop: off + sizes[i] }), a.shape);
        off += sizes[i];
        return c;
      });
      return back(unflatten(outDef, cts))[0];
    };
    const jac = vmap(pullback)(basis); // leaves: [total_out, ...in.shape]
    const [jl, jDef] = flatten(jac);
    // Split the leading (output) axis back into output leaves' shapes.
    const perOut = oa.map((o, i) => {
      const off = sizes.slice(0, i).reduce((a, b) => a + b, 0);
      return unflatten(
        jDef,
        (jl as Array[]).map((j) =>
          reshape(j.slice({ start: off, stop: off + sizes[i] }), [...o.shape, ...j.shape.slice(1)])
        ),
      );
    });
    return unflatten(outDef, perOut);
  };
}

/**
 * The Hessian of scalar `f`: `jacfwd(jacrev(f))`.
 *
 * @example
 * ```ts
 * import { hessian, array } from "./mod.ts";
 * hessian((x) => x.pow(3).sum())(array([1, 2])); // [[6, 0], [0, 12]]
 * ```
 */
export function hessian(f: Fn, opts: { argnums?: number } = {}): (...args: any[]) => any {
  return jacfwd(jacrev(f, opts), opts);
}

/**
 * `jacfwd`'s transposed Jacobian (output shapes + [input elements]) from one JVP per input
 * element ({@link forwardJvps}), or null when auto mode prefers vmap's batched JVPs.
 */
function unrolledJacobian(
  f: Fn,
  args: unknown[],
  argnums: number,
  xa: Array[],
  xDef: TreeDef,
  mode: GradMode,
): unknown {
  let outDef: TreeDef | undefined;
  const flat = (...leaves: Array[]) => {
    const full = [...args];
    full[argnums] = unflatten(xDef, leaves);
    const [outs, def] = flatten(f(...full));
    outDef = def;
    return leavesToArrays("jacfwd", outs);
  };
  const dirs = forwardJvps(flat, xa, mode, "jacfwd");
  if (!dirs) return null;
  const cols = dirs[0][0].map((o, k) => stack(dirs.map(([, t]) => t[k] ?? zerosLike(o)), -1));
  return unflatten(outDef!, cols);
}

function mapTree(t: unknown, fn: (a: Array) => unknown): unknown {
  const [ls, def] = flatten(t);
  return unflatten(def, (ls as Array[]).map(fn));
}

function splitLast(j: Array, xa: Array[], xDef: TreeDef): unknown {
  const lead = j.shape.slice(0, -1);
  let off = 0;
  const parts = xa.map((a) => {
    const s = j.slice(...lead.map(() => null), { start: off, stop: off + a.size });
    off += a.size;
    return reshape(s, [...lead, ...a.shape]);
  });
  return unflatten(xDef, parts);
}
