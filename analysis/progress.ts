/**
 * Progress on stderr for the long steps of an analysis: on a terminal, one line per step that
 * updates in place (a bar, counts, rate, elapsed time); otherwise (CI, a pipe, a log file) one line
 * when a step starts and one when it ends, so logs stay readable.
 *
 * @module
 */

/**
 * Where progress goes: a writer and whether it is a terminal.
 *
 * @example
 * ```ts
 * import type { ProgressSink } from "./progress.ts";
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
 * import { stderrSink } from "./progress.ts";
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
 * A sink that discards everything (quiet runs, tests).
 *
 * @example
 * ```ts
 * import { Progress, silentSink } from "./progress.ts";
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
  /** Ends the step (prints the final line) and returns its duration in seconds. */
  done(note?: string): number;
}

/**
 * Reports steps: `start(label, total?)` then `tick` / `done`; {@link Progress.run} wraps a
 * function.
 *
 * @example
 * ```ts
 * import { Progress, stderrSink } from "./progress.ts";
 * const p = new Progress(stderrSink());
 * const s = p.start("histogramming", 3);
 * for (const proc of ["a", "b", "c"]) s.tick(1, proc);
 * s.done();
 * ```
 */
export class Progress {
  readonly #sink: ProgressSink;
  /** Seconds per finished step, by label. */
  readonly timings: Record<string, number> = {};

  /** Progress written to `sink`. */
  constructor(sink: ProgressSink) {
    this.#sink = sink;
  }

  /** Starts a step (`total` units when known). */
  start(label: string, total?: number): Step {
    const sink = this.#sink;
    const t0 = performance.now();
    let count = 0;
    let lastDraw = 0;
    const elapsed = () => (performance.now() - t0) / 1000;
    const line = (note?: string) => {
      const e = elapsed();
      const rate = count > 0 && e > 0 ? `, ${(count / e).toPrecision(3)}/s` : "";
      const frac = total ? Math.min(1, count / total) : null;
      const bar = frac === null
        ? ""
        : `[${"#".repeat(Math.round(frac * 20)).padEnd(20, ".")}] ${count}/${total} `;
      return `${label}: ${bar}${fmtS(e)}${rate}${note ? ` (${note})` : ""}`;
    };
    if (!sink.isTerminal) sink.write(`${label}...\n`);
    let finished = false;
    return {
      tick: (n = 1, note?: string) => {
        count += n;
        if (!sink.isTerminal) return;
        const now = performance.now();
        if (now - lastDraw < 100 && (!total || count < total)) return;
        lastDraw = now;
        sink.write(`\r\x1b[2K${line(note)}`);
      },
      done: (note?: string) => {
        const e = elapsed();
        if (finished) return e;
        finished = true;
        this.timings[label] = e;
        const text = `${label}: done in ${fmtS(e)}${note ? ` (${note})` : ""}`;
        sink.write(sink.isTerminal ? `\r\x1b[2K${text}\n` : `${text}\n`);
        return e;
      },
    };
  }

  /** Runs `f` as one step and returns its result. */
  async run<T>(label: string, f: (step: Step) => T | Promise<T>, total?: number): Promise<T> {
    const s = this.start(label, total);
    try {
      return await f(s);
    } finally {
      s.done();
    }
  }
}
