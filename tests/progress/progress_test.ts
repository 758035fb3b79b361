/**
 * progress/mod.ts (shared by the analysis and the zgrad CLI): off a terminal one line when a step
 * starts and one when it ends (plus status lines at most every `lineInterval` seconds), on a
 * terminal a line redrawn in place; `progressTask` starts lazily from `onProgress(done, total)`.
 */
import assert from "node:assert/strict";
import {
  Progress,
  type ProgressSink,
  progressTask,
  silentSink,
  sinkFor,
} from "../../progress/mod.ts";

const ESC = "\u001b";

function capture(isTerminal: boolean): { sink: ProgressSink; text: () => string } {
  const parts: string[] = [];
  return { sink: { write: (t) => void parts.push(t), isTerminal }, text: () => parts.join("") };
}

Deno.test("Progress off a terminal: a start line and a done line per step, no cursor control", () => {
  const c = capture(false);
  const p = new Progress(c.sink);
  const s = p.start("scan", 5);
  for (let i = 0; i < 5; i++) s.tick(1, `μ = ${i}`);
  const e = s.done();
  assert.equal(s.done(), e, "done twice: one line, same duration");
  const lines = c.text().split("\n");
  assert.equal(lines.length, 3, c.text()); // two lines and the trailing newline
  assert.equal(lines[0], "scan...");
  assert.match(lines[1], /^scan: done in [\d.]+ s \(5\/5\)$/);
  assert.ok(!c.text().includes("\r") && !c.text().includes(ESC), "no cursor control");
  assert.equal(p.timings.scan, e);
});

Deno.test("Progress off a terminal: lineInterval 0 prints a status line per update", () => {
  const c = capture(false);
  const s = new Progress(c.sink, { lineInterval: 0 }).start("toys", 4);
  for (let i = 1; i <= 4; i++) s.set(i, 4);
  s.done("seed 7");
  const lines = c.text().trimEnd().split("\n");
  assert.equal(lines.length, 6, c.text());
  assert.match(lines[1], /^toys: \[#{5}\.{15}\] 1\/4 [\d.]+ s/);
  assert.match(lines[4], /^toys: \[#{20}\] 4\/4 /);
  assert.match(lines[5], /^toys: done in [\d.]+ s \(4\/4, seed 7\)$/);
});

Deno.test("Progress on a terminal: redrawn in place, finished with a newline", () => {
  const c = capture(true);
  const s = new Progress(c.sink).start("refits", 2);
  s.tick();
  s.tick();
  s.done();
  const t = c.text();
  assert.ok(t.startsWith("\r\x1b[2Krefits: ["), JSON.stringify(t));
  const last = t.slice(t.lastIndexOf(`\r${ESC}[2K`) + 5);
  assert.match(last, /^refits: done in [\d.]+ s \(2\/2\)\n$/);
  assert.equal(t.split("\n").length, 2, "one finished line");
});

Deno.test("progressTask: starts at the first onProgress, unknown totals, silent when unused", () => {
  const c = capture(false);
  const p = new Progress(c.sink);
  const unused = progressTask(p, "never");
  unused.done();
  assert.equal(c.text(), "", "no output for work that reported nothing");
  const task = progressTask(p, "hypotests");
  for (let i = 1; i <= 3; i++) task.onProgress(i, null);
  task.done();
  const lines = c.text().trimEnd().split("\n");
  assert.equal(lines.length, 2, c.text());
  assert.equal(lines[0], "hypotests...");
  assert.match(c.text(), /hypotests: done in [\d.]+ s \(3\)\n$/);
  // The stats layer's callback type: (done: number, total: number) => void.
  const cb: (done: number, total: number) => void = progressTask(new Progress(silentSink()), "x")
    .onProgress;
  cb(1, 2);
});

Deno.test("Step.log: a line of its own, above the redrawn step line on a terminal", () => {
  const off = capture(false);
  const s = new Progress(off.sink).start("preprocess", 2);
  s.set(1, 2, "10 events");
  s.log("preprocess 1/2 read a.root: 10 → 8 events (0.1 s)");
  s.done();
  const lines = off.text().trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    "preprocess...",
    "preprocess 1/2 read a.root: 10 → 8 events (0.1 s)",
  ]);
  const on = capture(true);
  const t = new Progress(on.sink).start("preprocess", 2);
  t.set(1, 2, "10 events");
  t.log("warning: skipped b.root");
  const text = on.text();
  const at = text.indexOf("warning: skipped b.root\n");
  assert.ok(at > 0 && text.slice(at - 5, at) === `\r${ESC}[2K`, JSON.stringify(text));
  const redrawn = text.slice(at).split(`\r${ESC}[2K`)[1];
  assert.match(redrawn, /^preprocess: \[#{10}\.{10}\] 1\/2 .*\(10 events\)$/);
});

Deno.test("sinkFor: off is silent, bar and lines force the kind", () => {
  const silent = sinkFor("off");
  assert.equal(silent.isTerminal, false);
  silent.write("nothing");
  assert.equal(sinkFor("bar").isTerminal, true);
  assert.equal(sinkFor("lines").isTerminal, false);
  if (Deno.env.get("CI")) assert.equal(sinkFor("auto").isTerminal, false, "CI draws lines");
});
