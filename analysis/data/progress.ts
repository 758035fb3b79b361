/**
 * Progress of preprocessing, as one step of the shared reporter (progress/mod.ts): files done out
 * of all, events read and events/s; off a terminal also one line per finished file, so logs say
 * what each file gave.
 *
 * @module
 */
import { Progress, type ProgressMode, sinkFor, type Step } from "../../progress/mod.ts";

export type { ProgressMode };

/** How a file's events were obtained. */
export type FileStatus = "read" | "cached" | "generated" | "skipped";

function rate(n: number, seconds: number): string {
  const r = seconds > 0 ? n / seconds : 0;
  return r >= 1e6
    ? `${(r / 1e6).toFixed(1)}M`
    : r >= 1e3
    ? `${(r / 1e3).toFixed(1)}k`
    : r.toFixed(0);
}

/**
 * A progress reporter for a number of files.
 *
 * @example
 * ```ts
 * import { PreprocessProgress } from "./progress.ts";
 * const p = new PreprocessProgress(2, "off");
 * p.advance(1000);
 * p.fileDone("a.root", "read", 1000, 800);
 * p.finish();
 * ```
 */
export class PreprocessProgress {
  readonly #step: Step;
  readonly #nFiles: number;
  readonly #start = performance.now();
  #filesDone = 0;
  #events = 0;

  /** A reporter for `nFiles` files, shown as `mode` says. */
  constructor(nFiles: number, mode: ProgressMode = "auto") {
    this.#nFiles = nFiles;
    this.#step = new Progress(sinkFor(mode)).start("preprocess", nFiles);
  }

  #update(): void {
    const s = (performance.now() - this.#start) / 1000;
    this.#step.set(
      this.#filesDone,
      this.#nFiles,
      `${this.#events} events, ${rate(this.#events, s)} ev/s`,
    );
  }

  /** Counts `n` more events read (from any file). */
  advance(n: number): void {
    this.#events += n;
    this.#update();
  }

  /** Reports one finished file: `nIn` events read (before the skim), `nOut` kept. */
  fileDone(file: string, status: FileStatus, nIn: number, nOut: number, seconds = 0): void {
    this.#filesDone++;
    const speed = status === "read" ? `, ${rate(nIn, seconds)} ev/s` : "";
    this.#step.log(
      `preprocess ${this.#filesDone}/${this.#nFiles} ${status} ${file}: ${nIn} → ${nOut} events (${
        seconds.toFixed(1)
      } s${speed})`,
    );
    this.#update();
  }

  /** Reports a warning (a skipped file) on its own line. */
  warn(message: string): void {
    this.#step.log(`warning: ${message}`);
  }

  /** Ends the step with the events read. */
  finish(): void {
    this.#step.done(`${this.#events} events`);
  }
}
