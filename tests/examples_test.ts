/**
 * The examples run in CI: each is imported (its top-level code is the example) with console output
 * captured, and the captured text is checked for the results the example prints.
 */
import assert from "node:assert/strict";

async function runExample(path: string): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await import(path);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

Deno.test("examples/autodiff_tour.ts runs and prints each part of the tour", async () => {
  const out = await runExample("../examples/autodiff_tour.ts");
  // ∇ Σ x sin x = sin x + x cos x at x = 1: 0.8414709848 + 0.5403023059 = 1.381773291.
  assert.match(out, /∇f\s+= \[\s*1\.381773291/);
  assert.match(out, /lambda/);
  assert.match(out, /traced 1 time\(s\)/);
  assert.match(out, /gradient clipped = 1\./);
  assert.match(out, /customRoot: x\*\(θ\) =/);
});
