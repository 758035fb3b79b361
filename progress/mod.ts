/**
 * Progress on stderr for long work — the steps of an analysis, and the CLI's upper-limit scans,
 * ranking refits and toys: on a terminal, one line per step that updates in place (a bar, counts,
 * rate, elapsed time); otherwise (CI, a pipe, a log file) one line when a step starts and one when
 * it ends, plus a status line at most every `lineInterval` seconds (default 10) of a long step,
 * so logs stay readable.
 *
 * The statistics layer reports progress through `onProgress(done, total)` callbacks (toys, upper
 * limits, ranking); {@link progressCallback} turns a step into one.
 *
 * @module
 */

/**
 * Where progress goes: a writer and whether it is a terminal.
 *
 * @example
 * ```ts
 * import type { ProgressSink } from "./mod.ts";
 * const lines: string[] = [];
 * const sink: ProgressSink = { write: (t) => lines.push(t), isTerminal: false };
 * ```
 */
export interface ProgressSink {
  /** Writes text (no newline added). */
  write(text: string): void;
  /** True for an interactive terminal (in-place updates). */
  isTerminal: boolean;
}

/**
 * stderr as a progress sink.
 *
 * @example
 * ```ts
 * import { stderrSink } from "./mod.ts";
 * stderrSink().write("hello\n");
 * ```
 */
export function stderrSink(): ProgressSink {
  const enc = new TextEncoder();
  let tty = false;
  try {
    tty = Deno.stderr.isTerminal();
  } catch {
    tty = false;
  }
  return { write: (t) => void Deno.stderr.writeSync(enc.encode(t)), isTerminal: tty };
}

/**
 * `auto`: stderr, drawn in place on a terminal and as lines elsewhere (also when `CI` is set);
 * `bar` / `lines` force one on stderr; `off` is silent.
 */
export type ProgressMode = "auto" | "bar" | "lines" | "off";

/**
 * The sink of a {@link ProgressMode}.
 *
 * @example
 * ```ts
 * import { Progress, sinkFor } from "./mod.ts";
 * const p = new Progress(sinkFor("off"));
 * ```
 */
export function sinkFor(mode: ProgressMode): ProgressSink {
  if (mode === "off") return silentSink();
  const sink = stderrSink();
  if (mode !== "auto") return { write: sink.write, isTerminal: mode === "bar" };
  let ci = false;
  try {
    ci = !!Deno.env.get("CI");
  } catch {
    ci = false; // no --allow-env: not known to be CI
  }
  return { write: sink.write, isTerminal: sink.isTerminal && !ci };
}

/**
 * A sink that discards everything (quiet runs, tests).
 *
 * @example
 * ```ts
 * import { Progress, silentSink } from "./mod.ts";
 * const p = new Progress(silentSink());
 * ```
 */
export function silentSink(): ProgressSink {
  return { write: () => {}, isTerminal: false };
}

const fmtS = (s: number) => (s < 10 ? s.toFixed(2) : s.toFixed(1)) + " s";

/** One running step of {@link Progress}. */
export interface Step {
  /** Advances by `n` units (e.g. events or processes), with an optional note. */
  tick(n?: number, note?: string): void;
  /**
   * Sets the count to `done` and, when given, the total to `total` (null: unknown), e.g. from an
   * `onProgress(done, total)` callback.
   */
  set(done: number, total?: number | null, note?: string): void;
  /**
   * Writes `text` as a line of its own (a file finished, a warning): above the step's line on a
   * terminal, which is then redrawn.
   */
  log(text: string): void;
  /** Ends the step (prints the final line) and returns its duration in seconds. */
  done(note?: string): number;
}

/**
 * Reports steps: `start(label, total?)` then `tick` / `done`; {@link Progress.run} wraps a
 * function.
 *
 * @example
 * ```ts
 * import { Progress, stderrSink } from "./mod.ts";
 * const p = new Progress(stderrSink());
 * const s = p.start("histogramming", 3);
 * for (const proc of ["a", "b", "c"]) s.tick(1, proc);
 * s.done();
 * ```
 */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #lineInterval: number;
  /** Seconds per finished step, by label. */
  readonly timings: Record<string, number> = {};

  /**
   * Progress written to `sink`; off a terminal, a long step prints a status line at most every
   * `lineInterval` seconds (default 10; 0: at every update).
   */
  constructor(sink: ProgressSink, opts: { lineInterval?: number } = {}) {
    this.#sink = sink;
    this.#lineInterval = opts.lineInterval ?? 10;
  }

  /** Starts a step (`total` units when known). */
  start(label: string, total?: number | null): Step {
    const sink = this.#sink, interval = this.#lineInterval * 1000;
    const t0 = performance.now();
    let count = 0;
    let size = total ?? null;
    let lastDraw = sink.isTerminal ? 0 : t0;
    const elapsed = () => (performance.now() - t0) / 1000;
    const line = (note?: string) => {
      const e = elapsed();
      const rate = count > 0 && e > 0 ? `, ${(count / e).toPrecision(3)}/s` : "";
      const frac = size ? Math.min(1, count / size) : null;
      const bar = frac === null
        ? `${count} `
        : `[${"#".repeat(Math.round(frac * 20)).padEnd(20, ".")}] ${count}/${size} `;
      return `${label}: ${bar}${fmtS(e)}${rate}${note ? ` (${note})` : ""}`;
    };
    let lastNote: string | undefined;
    const draw = (note?: string, force = false) => {
      const now = performance.now();
      lastNote = note;
      if (sink.isTerminal) {
        if (!force && now - lastDraw < 100 && (!size || count < size)) return;
        lastDraw = now;
        sink.write(`\r\x1b[2K${line(note)}`);
      } else if (now - lastDraw >= interval) {
        lastDraw = now;
        sink.write(`${line(note)}\n`);
      }
    };
    if (!sink.isTerminal) sink.write(`${label}...\n`);
    let finished: number | null = null;
    return {
      tick: (n = 1, note?: string) => {
        count += n;
        draw(note);
      },
      set: (done: number, newTotal?: number | null, note?: string) => {
        count = done;
        if (newTotal !== undefined) size = newTotal;
        draw(note);
      },
      log: (text: string) => {
        if (!sink.isTerminal) return sink.write(`${text}\n`);
        sink.write(`\r\x1b[2K${text}\n`);
        draw(lastNote, true);
      },
      done: (note?: string) => {
        if (finished !== null) return finished;
        const e = finished = elapsed();
        this.timings[label] = e;
        const counted = count > 0 ? `${count}${size ? `/${size}` : ""}` : "";
        const extra = [counted, note].filter(Boolean).join(", ");
        const text = `${label}: done in ${fmtS(e)}${extra ? ` (${extra})` : ""}`;
        sink.write(sink.isTerminal ? `\r\x1b[2K${text}\n` : `${text}\n`);
        return e;
      },
    };
  }

  /** Runs `f` as one step and returns its result. */
  async run<T>(
    label: string,
    f: (step: Step) => T | Promise<T>,
    total?: number | null,
  ): Promise<T> {
    const s = this.start(label, total);
    try {
      return await f(s);
    } finally {
      s.done();
    }
  }
}

/**
 * A step driven by an `onProgress(done, total)` callback of the statistics layer (toys, upper
 * limits, ranking); see {@link progressTask}.
 *
 * @example
 * ```ts
 * import type { ProgressTask } from "./mod.ts";
 * const run = (task: ProgressTask) => { task.onProgress(1, 2); task.onProgress(2, 2); task.done(); };
 * ```
 */
export interface ProgressTask {
  /** Sets the count and total (null or omitted: unknown); the first call starts the step. */
  onProgress: (done: number, total?: number | null) => void;
  /** Ends the step if it started (nothing is printed for work that never reported progress). */
  done(note?: string): void;
}

/**
 * A {@link ProgressTask} labelled `label` on `progress`: the step starts at the first
 * `onProgress` call, so work that fails before doing anything prints no progress.
 *
 * @example
 * ```ts
 * import { Progress, progressTask, stderrSink } from "./mod.ts";
 * const task = progressTask(new Progress(stderrSink()), "toys");
 * for (let i = 1; i <= 100; i++) task.onProgress(i, 100);
 * task.done();
 * ```
 */
export function progressTask(progress: Progress, label: string): ProgressTask {
  let step: Step | null = null;
  return {
    onProgress: (done, total) => {
      step ??= progress.start(label, total ?? null);
      step.set(done, total ?? null);
    },
    done: (note) => void step?.done(note),
  };
}
