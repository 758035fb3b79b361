/**
 * What users of zgrad load: the core entry carries no statistics code and no npm package, source
 * files name every dependency fully (no bare specifiers that only this repository's deno.json
 * resolves), and the package passes `deno publish --dry-run`.
 */
import assert from "node:assert/strict";
import { ROOT, runDeno } from "./_serve.ts";

/** Specifiers of every module in the graph of `entry` (`deno info --json`). */
async function moduleGraph(entry: string): Promise<string[]> {
  const r = await runDeno(["info", "--json", entry], ROOT);
  assert.equal(r.code, 0, `deno info ${entry} failed:\n${r.stderr}`);
  const info: { modules: { specifier: string }[] } = JSON.parse(r.stdout);
  return info.modules.map((m) => m.specifier);
}

Deno.test("packaging: mod.ts loads no stats module and no npm package", async () => {
  const mods = await moduleGraph("mod.ts");
  assert.ok(mods.some((m) => m.endsWith("/jit/jit.ts")), "the graph was read");
  const stats = mods.filter((m) => m.includes("/stats/") || m.endsWith("/stats.ts"));
  assert.deepEqual(stats, [], "no statistics module in mod.ts's graph");
  const npm = mods.filter((m) => m.startsWith("npm:") || m.includes("zod"));
  assert.deepEqual(npm, [], "no npm package (zod) in mod.ts's graph");
});

Deno.test("packaging: the ./stats entry brings the statistics layer and zod", async () => {
  const mods = await moduleGraph("stats.ts");
  assert.ok(mods.some((m) => m.endsWith("/stats/fit.ts")), "stats/fit.ts is in the graph");
  assert.ok(mods.some((m) => /^npm:\/?zod@/.test(m)), `zod is in the graph: ${mods}`);
});

/** Every TypeScript file users can import (not tests, benchmarks or tools). */
function* sourceFiles(dir = ROOT): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) {
      if (![".git", "node_modules", "tests", "bench", "tools", ".ci"].includes(e.name)) {
        yield* sourceFiles(`${path}/`);
      }
    } else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("packaging: source files import only relative, node: or versioned npm: specifiers", () => {
  const bad: string[] = [];
  let files = 0;
  for (const path of sourceFiles()) {
    files++;
    const text = Deno.readTextFileSync(path);
    // Static imports and re-exports (`from "x"`), side-effect imports and dynamic imports.
    // (`from` must close an import/export statement: "…samples from" inside a string is no import.)
    const re =
      /(?:^\s*(?:import|export)\b[^"';]*?\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)"([^"]+)"/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      const ok = spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("node:") ||
        (/^npm:(@[\w.-]+\/)?[\w.-]+@[\^~]?\d/.test(spec) && !spec.includes("fast-check"));
      // Specifiers inside JSDoc examples are checked by `deno check --doc`, not here.
      const line = text.slice(text.lastIndexOf("\n", m.index) + 1, m.index);
      if (!ok && !/^\s*\*/.test(line)) bad.push(`${path.slice(ROOT.length)}: "${spec}"`);
    }
  }
  assert.ok(files > 50, `found the source files (${files})`);
  assert.deepEqual(bad, [], "imports a user's deno.json cannot resolve (use npm:pkg@version)");
});

Deno.test("packaging: deno publish --dry-run passes (JSR-ready, no slow types)", async () => {
  const r = await runDeno(["publish", "--dry-run", "--allow-dirty"], ROOT, 300_000);
  assert.equal(r.code, 0, `deno publish --dry-run failed:\n${r.stderr}`);
  const out = r.stdout + r.stderr;
  assert.match(out, /Dry run complete/);
  for (const f of ["mod.ts", "stats.ts", "LICENSE", "jit/cpu/worker_source.ts"]) {
    assert.ok(out.includes(`${ROOT}${f} `), `${f} is published`);
  }
  for (const dir of ["tests", "bench", "tools", ".ci"]) {
    assert.ok(!out.includes(`${ROOT}${dir}/`), `${dir}/ is not published`);
  }
});
