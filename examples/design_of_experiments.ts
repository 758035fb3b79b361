/**
 * Example 5 — design of experiments as an environment for agents (the gym-style `reset` /
 * `step(action)` loop of reinforcement learning and black-box optimisation).
 *
 * The design: a cut on a selection variable u (keep u > t) and the three inner bin edges of a
 * 4-bin histogram of an observable m on [0, 1]. Actions move the cut or one edge by ±0.05; the
 * reward after every step is the significance of the resulting analysis — the median expected
 * discovery Z0 of a HistFactory model (signal with `mu`, background with a 10% `bkg_norm`
 * normsys) built from the selected events' hard histograms, `bkg_norm` profiled by a fit. No
 * gradient is used: this is the setting of agents that only see rewards.
 *
 * Two agents get the same budget of steps: a random agent (uniform random actions), and a
 * hill-climbing agent (tries actions in random order, undoes any that lowered the reward). Their
 * final designs are compared over several episodes (random-agent's best-seen design is printed
 * too: that is random search).
 *
 * Run: `deno run -A examples/design_of_experiments.ts [--full] [--out DIR]`
 * (CI size: 2000 events, 3 episodes of 40 steps; `--full`: 20000 events, 10 episodes of 120).
 *
 * @module
 */
import { random } from "../mod.ts";
import { fromPyhf, type Model, z0Array } from "../stats.ts";
import { linePlot, stackedHistogram, writePlot } from "../plots/mod.ts";
import { fmt, hardHistogram, numbers, parseArgs } from "./_common.ts";

const BINS = 4, STEP = 0.05, MIN_GAP = 0.02;
const SIGNAL_EVENTS = 25, BACKGROUND_EVENTS = 500;

/** What the agent sees: the design and its significance. */
export interface Observation {
  /** Cut threshold on u. */
  cut: number;
  /** Bin edges of m (0 and 1 fixed, the inner ones movable). */
  edges: number[];
  /** Median expected Z0 of this design. */
  z0: number;
}

/** Result of {@link DesignEnv.step}. */
export interface StepResult {
  /** The new design. */
  observation: Observation;
  /** Its significance. */
  reward: number;
  /** The episode's step budget is used up. */
  done: boolean;
}

/** Toy events: the selection variable u and the observable m, per sample. */
function toyEvents(n: number, seed: number) {
  const k = random.split(random.key(seed), 4);
  const u = (i: number) => numbers(random.uniform(k.slice(i), [n], { dtype: "float64" }));
  const nSig = Math.round(n / 5), nBkg = n - nSig;
  const normals = numbers(random.normal(k.slice(3), [nSig], { dtype: "float64" }));
  return {
    // Signal: u peaks near 1 (√U), m ~ N(0.6, 0.08).
    sig: { u: u(0).slice(0, nSig).map(Math.sqrt), m: normals.map((z) => 0.6 + 0.08 * z) },
    // Background: u peaks near 0 (U²), m falls exponentially (rate 3, truncated to [0, 1]).
    bkg: {
      u: u(1).slice(0, nBkg).map((x) => x * x),
      m: u(2).slice(0, nBkg).map((x) => -Math.log(1 - x * (1 - Math.exp(-3))) / 3),
    },
    wSig: SIGNAL_EVENTS / nSig,
    wBkg: BACKGROUND_EVENTS / nBkg,
  };
}

/**
 * The environment: a gym-like `reset()` / `step(action)` over analysis designs. Actions:
 * 0 = cut up, 1 = cut down, 2 + 2k = inner edge k left, 3 + 2k = inner edge k right.
 *
 * @example
 * ```ts
 * const env = new DesignEnv(2000, 40);
 * let obs = env.reset();
 * const { observation, reward, done } = env.step(0);
 * ```
 */
export class DesignEnv {
  /** Number of actions. */
  readonly nActions = 2 + 2 * (BINS - 1);
  #events: ReturnType<typeof toyEvents>;
  #model: Model;
  #cut = 0;
  #edges: number[] = [];
  #t = 0;

  /** `n` toy events; episodes last `maxSteps` steps. */
  constructor(n: number, readonly maxSteps: number, seed = 0) {
    this.#events = toyEvents(n, seed);
    this.#model = fromPyhf({
      channels: [{
        name: "SR",
        samples: [
          {
            name: "signal",
            data: [1, 1, 1, 1],
            modifiers: [{ name: "mu", type: "normfactor", data: null }],
          },
          {
            name: "background",
            data: [10, 10, 10, 10],
            modifiers: [{ name: "bkg_norm", type: "normsys", data: { hi: 1.1, lo: 0.9 } }],
          },
        ],
      }],
      observations: [{ name: "SR", data: [10, 10, 10, 10] }],
      measurements: [{ name: "doe", config: { poi: "mu", parameters: [] } }],
      version: "1.0.0",
    });
  }

  /** The current design (cut and bin edges). */
  design(): { cut: number; edges: number[] } {
    return { cut: this.#cut, edges: [...this.#edges] };
  }

  /** The selected events' histograms (yields) for the current design. */
  histograms(): { signal: number[]; background: number[] } {
    const e = this.#events;
    const sel = (s: { u: number[]; m: number[] }) => s.m.filter((_, i) => s.u[i] > this.#cut);
    return {
      signal: hardHistogram(sel(e.sig), this.#edges).map((v) => v * e.wSig),
      // A floor of 0.01 events keeps the likelihood defined in emptied bins.
      background: hardHistogram(sel(e.bkg), this.#edges).map((v) => Math.max(v * e.wBkg, 0.01)),
    };
  }

  #observe(): Observation {
    const m = this.#model.withNominals(this.histograms());
    const z0 = z0Array(m.expectedData(m.init({ mu: 1 })), m).item();
    return { cut: this.#cut, edges: [...this.#edges], z0 };
  }

  /** Starts an episode from the loosest design: no cut, equal bins. */
  reset(): Observation {
    this.#cut = 0;
    this.#edges = Array.from({ length: BINS + 1 }, (_, i) => i / BINS);
    this.#t = 0;
    return this.#observe();
  }

  /** Applies an action (moves are clipped to keep the cut in [0, 0.95] and edges ordered). */
  step(action: number): StepResult {
    if (!(Number.isInteger(action) && action >= 0 && action < this.nActions)) {
      throw new RangeError(`DesignEnv.step: action must be an integer in [0, ${this.nActions})`);
    }
    if (this.#t >= this.maxSteps) throw new Error("DesignEnv.step: episode is done; reset()");
    if (action < 2) {
      this.#cut = Math.min(0.95, Math.max(0, this.#cut + (action === 0 ? STEP : -STEP)));
    } else {
      const k = 1 + Math.floor((action - 2) / 2), dir = action % 2 === 0 ? -STEP : STEP;
      const lo = this.#edges[k - 1] + MIN_GAP, hi = this.#edges[k + 1] - MIN_GAP;
      this.#edges[k] = Math.min(hi, Math.max(lo, this.#edges[k] + dir));
    }
    this.#t++;
    const observation = this.#observe();
    return { observation, reward: observation.z0, done: this.#t >= this.maxSteps };
  }
}

/** The inverse of an action (cut up ↔ down, edge left ↔ right). */
const inverse = (a: number) => (a % 2 === 0 ? a + 1 : a - 1);

/** An agent: plays one episode and returns the rewards after each step. */
type Agent = (env: DesignEnv, rng: () => number) => number[];

const randomAgent: Agent = (env, rng) => {
  env.reset();
  const rewards: number[] = [];
  for (let done = false; !done;) {
    const r = env.step(Math.floor(rng() * env.nActions));
    rewards.push(r.reward);
    done = r.done;
  }
  return rewards;
};

/** Tries actions in a random order; an action that lowered the reward is undone. */
const hillClimbingAgent: Agent = (env, rng) => {
  let best = env.reset().z0;
  const rewards: number[] = [];
  let queue: number[] = [];
  for (let done = false; !done;) {
    if (queue.length === 0) {
      queue = Array.from({ length: env.nActions }, (_, i) => i).sort(() => rng() - 0.5);
    }
    const a = queue.pop()!;
    let r = env.step(a);
    rewards.push(r.reward);
    if (r.reward > best) {
      best = r.reward;
      queue = [a]; // keep going in a direction that works
    } else if (r.reward < best && !r.done) {
      r = env.step(inverse(a));
      rewards.push(r.reward);
    }
    done = r.done;
  }
  return rewards;
};

/** A small seeded generator for the agents' choices (mulberry32). */
function rngFrom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What {@link main} found: per agent, the final and best rewards of each episode. */
export interface DoeResult {
  /** Random agent. */
  random: { final: number[]; best: number[] };
  /** Hill-climbing agent. */
  hillClimbing: { final: number[]; best: number[] };
  /** Z0 of the starting design. */
  initial: number;
}

/**
 * Runs the comparison, prints it, writes `rewards.svg` and `design.svg`.
 *
 * @example
 * ```ts
 * const r = await main(["--out", "/tmp/doe"]);
 * console.log(r.hillClimbing.final, r.random.final);
 * ```
 */
export async function main(argv: readonly string[] = []): Promise<DoeResult> {
  const args = parseArgs("design_of_experiments", argv);
  const [n, episodes, steps] = args.full ? [20000, 10, 120] : [2000, 3, 40];
  const env = new DesignEnv(n, steps);
  const initial = env.reset().z0;
  console.log(
    `Environment: ${n} events, ${env.nActions} actions, ${steps} steps per episode; ` +
      `Z0 of the starting design (no cut, equal bins) = ${fmt(initial)}`,
  );
  const result: DoeResult = {
    random: { final: [], best: [] },
    hillClimbing: { final: [], best: [] },
    initial,
  };
  const curves: Record<string, number[]> = {};
  for (
    const [name, agent, key] of [
      ["random", randomAgent, "random"],
      ["hill climbing", hillClimbingAgent, "hillClimbing"],
    ] as const
  ) {
    for (let e = 0; e < episodes; e++) {
      const rewards = agent(env, rngFrom(1000 * e + 1));
      result[key].final.push(rewards.at(-1)!);
      result[key].best.push(Math.max(...rewards));
      if (e === 0) curves[name] = rewards;
    }
    if (key === "hillClimbing") {
      await writeDesign(env, `${args.out}/design.svg`);
    }
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  console.log(`Over ${episodes} episodes (mean Z0):`);
  console.log(
    `  random agent:        final design ${fmt(mean(result.random.final))}, best seen ${
      fmt(mean(result.random.best))
    }`,
  );
  console.log(
    `  hill-climbing agent: final design ${fmt(mean(result.hillClimbing.final))}, best seen ${
      fmt(mean(result.hillClimbing.best))
    }`,
  );
  const wins = result.hillClimbing.final.filter((z, i) => z > result.random.final[i]).length;
  console.log(`Hill climbing beats random in ${wins} of ${episodes} episodes (final design)`);

  await writePlot(
    `${args.out}/rewards.svg`,
    linePlot({
      series: Object.entries(curves).map(([name, r]) => ({
        name,
        x: r.map((_, i) => i + 1),
        y: r,
      })),
      hlines: [{ y: initial, color: "grey" }],
      title: "Reward (median expected Z0) per step, first episode",
      xLabel: "step",
      yLabel: "Z0",
    }),
  );
  console.log(`Wrote ${args.out}/rewards.svg and design.svg`);
  return result;
}

/** Plots the environment's current design (the last hill-climbing episode's). */
async function writeDesign(env: DesignEnv, path: string): Promise<void> {
  const h = env.histograms(), d = env.design();
  await writePlot(
    path,
    stackedHistogram({
      edges: d.edges,
      stack: [{ name: "background", values: h.background }, { name: "signal", values: h.signal }],
      title: `Hill-climbing agent's final design: u > ${fmt(d.cut, 2)}, edges [${
        d.edges.map((e) => fmt(e, 2))
      }]`,
      xLabel: "m",
    }),
  );
}

if (import.meta.main) await main(Deno.args);
