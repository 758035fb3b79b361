/**
 * What the web page computes, shared by its worker (`worker.ts`) and by the Deno test that checks
 * the page (`tests/web/page_test.ts`): workload W1 (`bench/w1_workload.ts`) with the cut
 * thresholds θ = (MET cut, b-tag cut) and the KDE bandwidth as arguments, its value and gradient
 * in one jitted call on the CPU or WebGPU, and Adam climbing Z.
 *
 * @module
 */
import * as zg from "../../mod.ts";
import { asimovZ, B, type Columns, w1Data, w1Histograms } from "../../bench/w1_workload.ts";
import { type Cuts, LEARNING_RATES, LOWER, UPPER } from "./settings.ts";

export type { Cuts };

/** Z, its gradient with respect to the cuts, and the soft histograms, at one point. */
export interface Evaluation {
  /** The Asimov significance. */
  z: number;
  /** dZ/dcut. */
  grad: Cuts;
  /** Signal soft histogram (B bins of mtt on [0, 3000]). */
  s: number[];
  /** Background soft histogram. */
  b: number[];
}

type CutArrays = { met: zg.Array; btag: zg.Array };

/** Z at the cuts `p`, with the histograms as auxiliary output (for `valueAndGrad`'s hasAux). */
function objective(p: CutArrays, h: zg.Array, d: Columns<zg.Array>): [zg.Array, zg.Array[]] {
  const { s, b } = w1Histograms(zg.stack([p.met, p.btag]), d, h);
  return [asimovZ(s, b), [s, b]];
}

/**
 * Z, dZ/dθ and both histograms, packed in one array [z, dZ/dmet, dZ/dbtag, s…, b…]: one
 * readback per evaluation (a WebGPU round trip costs more than the copy).
 */
function packed(p: CutArrays, h: zg.Array, d: Columns<zg.Array>): zg.Array {
  const [[z, [s, b]], g] = zg.valueAndGrad(objective, { hasAux: true })(p, h, d);
  return zg.concatenate([z.reshape([1]), g.met.reshape([1]), g.btag.reshape([1]), s, b]);
}

/** Options of {@link W1Model.create}. */
export interface ModelOptions {
  /** Number of events (W1: 1e5). */
  n: number;
  /** The PRNG seed of the events (the same seed gives the same events in Deno and a browser). */
  seed: number;
  /** Where the jitted function runs. */
  device: "cpu" | "webgpu";
}

/**
 * W1 on one device: the events generated once (and moved to the device), one jitted function of
 * (cuts, bandwidth) returning Z, its gradient and the histograms.
 *
 * @example
 * ```ts
 * import { W1Model } from "./model.ts";
 * const m = W1Model.create({ n: 2000, seed: 1, device: "cpu" });
 * const e = await m.evaluate({ met: 50, btag: 0.5 }, 60);
 * console.log(e.z, e.grad.met, e.s.length); // ... ... 25
 * ```
 */
export class W1Model {
  readonly #data: Columns<zg.Array>;
  readonly #f: (p: CutArrays, h: zg.Array, d: Columns<zg.Array>) => zg.Array;
  readonly device: "cpu" | "webgpu";

  private constructor(data: Columns<zg.Array>, device: "cpu" | "webgpu") {
    this.#data = data;
    this.device = device;
    this.#f = zg.jit(packed, { device });
  }

  /** Generates the events and compiles nothing yet (the first {@link evaluate} traces). */
  static create(opts: ModelOptions): W1Model {
    if (!Number.isInteger(opts.n) || opts.n < 10) {
      throw new RangeError(`W1Model: n must be an integer ≥ 10 events, got ${opts.n}`);
    }
    let d = w1Data(opts.n, opts.seed);
    if (opts.device === "webgpu") {
      const put = (a: zg.Array) => zg.devicePut(a, "webgpu");
      d = { mtt: put(d.mtt), met: put(d.met), btag: put(d.btag), wgt: put(d.wgt), sig: put(d.sig) };
    }
    return new W1Model(d, opts.device);
  }

  /** Z, dZ/dθ and the histograms at `cuts` with KDE bandwidth `h` (GeV), in float32. */
  async evaluate(cuts: Cuts, h: number): Promise<Evaluation> {
    if (!(h > 0)) throw new RangeError(`W1Model.evaluate: the bandwidth must be > 0, got ${h}`);
    const p = { met: zg.array(cuts.met, "float32"), btag: zg.array(cuts.btag, "float32") };
    const out = await this.#f(p, zg.array(h, "float32"), this.#data).data();
    const v = Array.from(out);
    return { z: v[0], grad: { met: v[1], btag: v[2] }, s: v.slice(3, 3 + B), b: v.slice(3 + B) };
  }
}

/**
 * Adam climbing Z over the cuts (`optim.adam` on −Z, then `optim.projectBox` onto
 * [{@link LOWER}, {@link UPPER}]), one step per gradient. The parameters are float64 on the host:
 * two numbers, whatever device computes the gradient.
 *
 * @example
 * ```ts
 * import { AdamClimb } from "./model.ts";
 * const a = new AdamClimb({ met: 50, btag: 0.5 });
 * console.log(a.step({ met: 0.01, btag: -2 })); // { met: 54, btag: 0.48 }
 * ```
 */
export class AdamClimb {
  readonly #opt = zg.optim.adam(LEARNING_RATES);
  readonly #project = zg.optim.projectBox(LOWER, UPPER);
  #params: CutArrays;
  #state: zg.optim.OptState;

  constructor(start: Cuts) {
    this.#params = { met: zg.array(start.met, "float64"), btag: zg.array(start.btag, "float64") };
    this.#state = this.#opt.init(this.#params);
  }

  /** The current cuts. */
  get cuts(): Cuts {
    return { met: this.#params.met.item(), btag: this.#params.btag.item() };
  }

  /** One Adam step up the gradient `grad` = dZ/dcuts (at {@link cuts}); returns the new cuts. */
  step(grad: Cuts): Cuts {
    const minusGrad = {
      met: zg.array(-grad.met, "float64"),
      btag: zg.array(-grad.btag, "float64"),
    };
    const [updates, state] = this.#opt.update(minusGrad, this.#state, this.#params);
    this.#params = this.#project(zg.optim.applyUpdates(this.#params, updates));
    this.#state = state;
    return this.cuts;
  }
}
