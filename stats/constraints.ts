/**
 * Probability terms: the Poisson and normal log-densities, and the constraint part of a model
 * (pyhf's `_ConstraintModel`). Auxiliary data follow pyhf's order: the constrained parameters in
 * parameter order, one entry per component. A Gaussian-constrained component contributes
 * N(a | θ, σ) and expects a = θ; a Poisson-constrained one (shapesys) contributes
 * Pois(a | γτ) and expects a = γτ.
 *
 * @module
 */
import { type Array, lgamma, log, where } from "../core/mod.ts";
import type { DynamicConstraint, ModelInputs, Paramset } from "./modifiers/common.ts";
import { Assembler } from "./modifiers/common.ts";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Pois(n | λ) = n log λ − λ − lgamma(n + 1), elementwise, with pyhf's continuous
 * normalisation (non-integer n allowed) and 0·log 0 = 0. The n = 0 branch never evaluates log λ,
 * so λ = 0 there has finite derivatives.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { poissonLogpdf } from "./mod.ts";
 * poissonLogpdf(array([3], "float64"), array([2.5], "float64")); // [-1.4762...]
 * ```
 */
export function poissonLogpdf(n: Array, lam: Array): Array {
  const pos = n.gt(0);
  const nlogl = where(pos, n.mul(log(where(pos, lam, 1))), 0);
  return nlogl.sub(lam).sub(lgamma(n.add(1)));
}

/**
 * log N(x | μ, σ) = −½((x − μ)/σ)² − log σ − ½ log 2π, elementwise.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { normalLogpdf } from "./mod.ts";
 * normalLogpdf(array(0, "float64"), array(0, "float64"), array(1, "float64")); // -0.9189...
 * ```
 */
export function normalLogpdf(x: Array, mu: Array, sigma: Array): Array {
  return x.sub(mu).div(sigma).square().mul(-0.5).sub(log(sigma)).sub(HALF_LOG_2PI);
}

/**
 * The constraint terms of a model, vectorised: index bookkeeping is done once here, evaluation
 * is a few slices, concatenations and elementwise ops.
 */
export class Constraints {
  /** Number of auxiliary data entries. */
  readonly nAux: number;
  /** Names of the constrained parameters, in auxdata order. */
  readonly order: readonly string[];
  /** The constraint of each auxiliary entry, in auxdata order. */
  readonly kinds: readonly ("normal" | "poisson")[];
  readonly #dynamic: readonly DynamicConstraint[];
  readonly #parsAux = new Assembler(); // θ in aux order
  readonly #scale = new Assembler(); // 1 (normal) or τ (poisson) in aux order
  readonly #auxdata = new Assembler();
  readonly #normalPos = new Assembler(); // positions of normal entries in aux order
  readonly #poissonPos = new Assembler();
  readonly #sigma = new Assembler();
  readonly #tau = new Assembler();

  /** @param paramsets all parameters in order @param dynamic input-dependent σ / τ providers */
  constructor(paramsets: readonly Paramset[], dynamic: readonly DynamicConstraint[]) {
    this.#dynamic = dynamic;
    const where_ = new Map<string, { src: string; offset: number }>();
    dynamic.forEach((d, i) => {
      let off = 0;
      for (const p of d.params) {
        where_.set(`${d.field}:${p.name}`, { src: `dyn${i}`, offset: off });
        off += p.n;
      }
    });
    const fieldOf = (p: Paramset, field: "sigmas" | "factors") => {
      const dyn = where_.get(`${field}:${p.name}`);
      return !p.configured.has(field) && dyn ? dyn : null;
    };
    const order: string[] = [];
    const kinds: ("normal" | "poisson")[] = [];
    let pos = 0;
    for (const p of paramsets) {
      if (p.kind === "unconstrained") continue;
      order.push(p.name);
      for (let i = 0; i < p.n; i++) kinds.push(p.kind === "normal" ? "normal" : "poisson");
      this.#parsAux.take("pars", p.start, p.n);
      if (p.kind === "normal") {
        this.#normalPos.take("aux", pos, p.n);
        this.#scale.constant(new globalThis.Array(p.n).fill(1));
        this.#auxdata.constant(p.auxdata!);
        const dyn = fieldOf(p, "sigmas");
        if (dyn) this.#sigma.take(dyn.src, dyn.offset, p.n);
        else this.#sigma.constant(p.sigmas!);
      } else {
        this.#poissonPos.take("aux", pos, p.n);
        const dyn = fieldOf(p, "factors");
        if (dyn) {
          this.#scale.take(dyn.src, dyn.offset, p.n);
          this.#tau.take(dyn.src, dyn.offset, p.n);
        } else {
          this.#scale.constant(p.factors!);
          this.#tau.constant(p.factors!);
        }
        // pyhf's Poisson auxdata default is τ itself (it follows the inputs unless configured).
        if (!p.configured.has("auxdata") && dyn) this.#auxdata.take(dyn.src, dyn.offset, p.n);
        else this.#auxdata.constant(p.auxdata!);
      }
      pos += p.n;
    }
    this.nAux = pos;
    this.order = order;
    this.kinds = kinds;
  }

  #sources(inputs: ModelInputs, extra: Record<string, Array>): Record<string, Array> {
    const out: Record<string, Array> = { ...extra };
    this.#dynamic.forEach((d, i) => (out[`dyn${i}`] = d.compute(inputs)));
    return out;
  }

  /** Expected auxiliary data at `pars`: θ (normal) or γτ (poisson), in aux order. */
  expected(pars: Array, inputs: ModelInputs): Array {
    const theta = this.#parsAux.build({ pars });
    if (this.#scale.isConstant && this.#poissonPos.length === 0) return theta;
    return theta.mul(this.#scale.build(this.#sources(inputs, {})));
  }

  /** The nominal auxiliary data (pyhf's `config.auxdata`). */
  auxdata(inputs: ModelInputs): Array {
    return this.#auxdata.build(this.#auxdata.isConstant ? {} : this.#sources(inputs, {}));
  }

  /** σ of the normal constraints, in auxdata order of the `normal` entries of {@link kinds}. */
  normalSigmas(inputs: ModelInputs): Array {
    return this.#sigma.build(this.#sigma.isConstant ? {} : this.#sources(inputs, {}));
  }

  /** Σ log constraint terms for auxiliary data `aux`. */
  logpdf(pars: Array, aux: Array, inputs: ModelInputs): Array {
    const theta = this.#parsAux.build({ pars });
    const src = this.#sources(inputs, { aux });
    let total: Array | null = null;
    if (this.#normalPos.length) {
      const mu = this.#normalPos.build({ aux: theta });
      const x = this.#normalPos.build(src);
      total = normalLogpdf(x, mu, this.#sigma.build(src)).sum();
    }
    if (this.#poissonPos.length) {
      const rate = this.#poissonPos.build({ aux: theta }).mul(this.#tau.build(src));
      const term = poissonLogpdf(this.#poissonPos.build(src), rate).sum();
      total = total ? total.add(term) : term;
    }
    return total ?? pars.sum().mul(0);
  }
}
