/**
 * Progress of preprocessing on stderr. On a terminal, one bar redrawn in place with files done,
 * events read and events/s; elsewhere (pipes, CI logs, `CI` set) one line per finished file, so
 * logs stay readable. `mode: "off"` is silent.
 *
 * @module
 */

/** `auto`: a bar on a TTY, lines otherwise; `bar` / `lines` force one; `off` is silent. */
export type ProgressMode = "auto" | "bar" | "lines" | "off";

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
 * import { Progress } from "./progress.ts";
 * const p = new Progress(2, "off");
 * p.advance(1000);
 * p.fileDone("a.root", "read", 1000, 800);
 * p.finish();
 * ```
 */
export class Progress {
  private readonly mode: "bar" | "lines" | "off";
  private readonly start = performance.now();
  private filesDone = 0;
  private events = 0;
  private lastDraw = 0;
  private readonly enc = new TextEncoder();

  /** A reporter for `nFiles` files. */
  constructor(private readonly nFiles: number, mode: ProgressMode = "auto") {
    if (mode === "auto") {
      const ci = (() => {
        try {
          return !!Deno.env.get("CI");
        } catch {
          return false;
        }
      })();
      this.mode = Deno.stderr.isTerminal() && !ci ? "bar" : "lines";
    } else this.mode = mode;
  }

  /** Writes to stderr unless silent. */
  private write(s: string): void {
    if (this.mode !== "off") Deno.stderr.writeSync(this.enc.encode(s));
  }

  /** Seconds since the start. */
  private seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Redraws the bar (at most every 100 ms unless forced). */
  private draw(force = false): void {
    if (this.mode !== "bar") return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const fill = this.nFiles ? Math.round(width * this.filesDone / this.nFiles) : width;
    const bar = "#".repeat(fill) + ".".repeat(width - fill);
    this.write(
      `\r\x1b[2Kpreprocess [${bar}] ${this.filesDone}/${this.nFiles} files  ${this.events} events  ${
        rate(this.events, this.seconds())
      } ev/s`,
    );
  }

  /** Counts `n` more events read (from any file). */
  advance(n: number): void {
    this.events += n;
    this.draw();
  }

  /** Reports one finished file: `nIn` events read (before the skim), `nOut` kept. */
  fileDone(file: string, status: FileStatus, nIn: number, nOut: number, seconds?: number): void {
    this.filesDone++;
    if (this.mode === "lines") {
      const s = seconds ?? 0;
      const speed = status === "read" ? `, ${rate(nIn, s)} ev/s` : "";
      this.write(
        `preprocess ${this.filesDone}/${this.nFiles} ${status} ${file}: ${nIn} → ${nOut} events (${
          s.toFixed(1)
        } s${speed})\n`,
      );
    }
    this.draw(true);
  }

  /** Reports a warning (a skipped file) on its own line. */
  warn(message: string): void {
    if (this.mode === "bar") this.write("\r\x1b[2K");
    this.write(`warning: ${message}\n`);
    this.draw(true);
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.mode === "bar") {
      this.draw(true);
      this.write("\n");
    }
  }
}
