/**
 * progress/mod.ts (shared by the analysis and the zgrad CLI): off a terminal one line when a step
 * starts and one when it ends (plus status lines at most every `lineInterval` seconds), on a
 * terminal a line redrawn in place; `progressTask` starts lazily from `onProgress(done, total)`.
 */
import assert from "node:assert/strict";
import { Progress, type ProgressSink, progressTask, silentSink } from "../../progress/mod.ts";

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
