/**
 * Worker body for parallel preprocessing: reads one ROOT file at a time in entry chunks and posts
 * each chunk's columns back (typed arrays transferred, not copied). The skim and the cache write
 * happen on the main thread (the skim is a function, which cannot be sent to a worker), and at
 * most one chunk per worker is in flight before the main thread acknowledges it, which bounds
 * memory to about `workers × chunkSize` events.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { Column, EventTable } from "./columns.ts";
import { isJagged } from "./columns.ts";
import type { Fallbacks } from "./branches.ts";
import { openEvents } from "./reader.ts";

/** A request to read one file. */
export interface ReadJob {
  /** Path or URL. */
  file: string;
  /** Canonical branches. */
  branches: string[];
  /** TTree name. */
  tree: string;
  /** Entries per posted chunk. */
  chunkSize: number;
  /** Branch-name fallbacks. */
  fallbacks?: Fallbacks;
}

/** What the worker posts back. */
export type WorkerMessage =
  | { type: "meta"; nEntries: number; resolved: Record<string, string> }
  | { type: "progress"; entries: number }
  | { type: "chunk"; table: EventTable }
  | { type: "done" }
  | { type: "error"; name: string; message: string };

function buffers(table: EventTable): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: { buffer: ArrayBufferLike }) => out.add(a.buffer as ArrayBuffer);
  for (const c of Object.values(table.columns) as Column[]) {
    if (isJagged(c)) {
      add(c.offsets);
      add(c.values);
    } else add(c);
  }
  return [...out];
}

let ack: (() => void) | null = null;

async function run(job: ReadJob): Promise<void> {
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => self.postMessage(m, transfer);
  try {
    const ev = await openEvents(job.file, { tree: job.tree, fallbacks: job.fallbacks });
    const resolved = Object.fromEntries(ev.resolve(job.branches));
    post({ type: "meta", nEntries: ev.nEntries, resolved });
    for (let s = 0; s < ev.nEntries; s += job.chunkSize) {
      let last = 0;
      const table = await ev.read(job.branches, {
        entryStart: s,
        entryStop: s + job.chunkSize,
        onProgress: (d) => {
          post({ type: "progress", entries: d - last });
          last = d;
        },
      });
      const acked = new Promise<void>((r) => ack = r);
      post({ type: "chunk", table }, buffers(table));
      await acked;
    }
    post({ type: "done" });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: "error", name: err.name, message: err.message });
  }
}

self.onmessage = (e: MessageEvent<ReadJob | "ack">) => {
  if (e.data === "ack") {
    const a = ack;
    ack = null;
    a?.();
  } else void run(e.data);
};
