/**
 * The documentation's code runs as written: every ```ts block of every Markdown file of the
 * repository (README.md, docs/, jit/README.md, …; not node_modules/ or out/) is type-checked — all
 * blocks in one `deno check` — and run, each in its own process with a timeout, two at a time.
 *
 * A block is a module on its own. Its relative imports resolve from the Markdown file's folder, or,
 * when no such file exists there, from the repository root (so `./stats/mod.ts` in docs/stats.md
 * works as well as `../stats/mod.ts`). It runs with the Markdown file's folder as working directory
 * (docs/stats.md reads docs/workspace.json as `workspace.json`) and `--allow-read --allow-env`.
 * Blocks that mention `"webgpu"` run only when there is a WebGPU adapter. A block opts out of
 * running — never out of type-checking — with a ```ts ignore fence or a `<!-- no-run -->` line
 * right before it; keep that for blocks that cannot run (long benchmarks, missing inputs).
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { initDevice } from "../jit/device.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIP_DIRS = new Set(["node_modules", "out", ".git"]);
const RUN_TIMEOUT_MS = 120_000;
const CONCURRENCY = 2;

interface Block {
  /** The Markdown file, relative to the repository root. */
  md: string;
  /** Line of the opening fence (1-based); the code starts on the next line. */
  line: number;
  code: string;
  run: boolean;
  webgpu: boolean;
}

function markdownFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory && !SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) {
      out.push(...markdownFiles(path));
    } else if (e.isFile && e.name.endsWith(".md")) {
      out.push(relative(ROOT, path));
    }
  }
  return out.sort();
}

/** The ```ts blocks of the Markdown text of file `md`. */
function blocksOf(md: string, text = Deno.readTextFileSync(join(ROOT, md))): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)(\s.*)?$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const start = i;
    const code: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) {
      code.push(lines[i].slice(Math.min(indent, lines[i].search(/\S|$/))));
    }
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === "") prev--;
    const noRun = /\bignore\b/.test(open[3] ?? "") ||
      (prev >= 0 && lines[prev].trim() === "<!-- no-run -->");
    const text = code.join("\n") + "\n";
    blocks.push({
      md,
      line: start + 1,
      code: text,
      run: !noRun,
      webgpu: /["']webgpu["']/.test(text),
    });
  }
  return blocks;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The block's code with relative imports rewritten for a module in `dir` (line count unchanged). */
function rewriteImports(b: Block, dir: string): string {
  const mdDir = dirname(join(ROOT, b.md));
  return b.code.replace(
    /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']+)\2/g,
    (_, head: string, q: string, spec: string) => {
      const nearMd = resolve(mdDir, spec);
      const target = exists(nearMd) || !exists(resolve(ROOT, spec)) ? nearMd : resolve(ROOT, spec);
      const rel = relative(dir, target).replaceAll("\\", "/");
      return `${head}${q}${rel.startsWith(".") ? rel : "./" + rel}${q}`;
    },
  );
}

/** Runs `deno <args>`; resolves with the exit status and output (killed after `timeoutMs`). */
async function deno(
  args: string[],
  opts: { cwd?: string; stdin?: string; timeoutMs?: number } = {},
): Promise<{ ok: boolean; output: string; timedOut: boolean }> {
  const signal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal,
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const r = await child.output();
  const dec = new TextDecoder();
  return {
    ok: r.success,
    output: dec.decode(r.stdout) + dec.decode(r.stderr),
    timedOut: signal?.aborted ?? false,
  };
}

// The suite runs without --allow-write; a `deno eval` child (--allow-run) writes and removes the
// blocks' files, which must live inside the repository for its deno.json (import map) to apply.
const WRITE_FILES = `const files = JSON.parse(await new Response(Deno.stdin.readable).text());
for (const [path, text] of Object.entries(files)) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}`;
const REMOVE_DIR =
  `await Deno.remove(await new Response(Deno.stdin.readable).text(), { recursive: true });`;

/** Runs `tasks` with at most `n` at a time, results in order. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new globalThis.Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      results[k] = await tasks[k]();
    }
  };
  await Promise.all(globalThis.Array.from({ length: Math.min(n, tasks.length) }, worker));
  return results;
}

const blocks = markdownFiles().flatMap((md) => blocksOf(md));
const hasWebGpu = (await initDevice("webgpu")) !== null;

Deno.test("docs: every ```ts block of the Markdown files type-checks and runs", async (t) => {
  assert.ok(
    blocks.some((b) => b.md === "README.md") && blocks.length >= 6,
    `found only ${blocks.length} blocks: is the extraction broken?`,
  );
  const dir = join(ROOT, "out", `docs_test_${Deno.pid}`);
  const fileOf = new Map<Block, string>();
  const files: Record<string, string> = {};
  for (const b of blocks) {
    const path = join(dir, `${b.md.replace(/[^A-Za-z0-9]+/g, "_")}_L${b.line}.ts`);
    fileOf.set(b, path);
    files[path] = rewriteImports(b, dir);
  }
  const written = await deno(["eval", WRITE_FILES], { stdin: JSON.stringify(files) });
  assert.ok(written.ok, `writing the blocks to ${dir} failed:\n${written.output}`);
  // Errors name the Markdown file and line instead of the temporary file.
  const located = (text: string) => {
    for (const b of blocks) {
      const url = `file://${fileOf.get(b)!}`;
      text = text.replace(
        new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`, "g"),
        (_, l: string) => `${b.md}:${b.line + Number(l)}`,
      );
    }
    return text;
  };
  try {
    await t.step(`deno check of ${blocks.length} blocks`, async () => {
      const r = await deno(["check", "--quiet", ...blocks.map((b) => fileOf.get(b)!)]);
      assert.ok(r.ok, `the documentation's code does not type-check:\n${located(r.output)}`);
    });
    const runnable = (b: Block) => b.run && (!b.webgpu || hasWebGpu);
    const results = await pool(
      blocks.map((b) => () =>
        runnable(b)
          ? deno(["run", "--allow-read", "--allow-env", fileOf.get(b)!], {
            cwd: dirname(join(ROOT, b.md)),
            timeoutMs: RUN_TIMEOUT_MS,
          })
          : Promise.resolve(null)
      ),
      CONCURRENCY,
    );
    for (const [k, b] of blocks.entries()) {
      const r = results[k];
      const why = !b.run ? " (marked not to run)" : r === null ? " (needs a WebGPU adapter)" : "";
      await t.step({
        name: `${b.md}:${b.line} runs${why}`,
        ignore: r === null,
        fn: () => {
          assert.ok(
            r!.ok,
            `${b.md}:${b.line} ${
              r!.timedOut ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : "failed"
            }:\n${located(r!.output).slice(-4000)}`,
          );
        },
      });
    }
  } finally {
    await deno(["eval", REMOVE_DIR], { stdin: dir });
  }
});

Deno.test("docs: ts fences, their opt-outs and imports are recognised", () => {
  const md = [
    "# t",
    "```ts",
    'import { array } from "./mod.ts";',
    "```",
    "```sh",
    "deno task test",
    "```",
    "<!-- no-run -->",
    "",
    "```ts",
    'await initDevice("webgpu");',
    "```",
    "- item:",
    "  ```ts ignore",
    '  const x = await import("../mod.ts");',
    "  ```",
  ].join("\n");
  const bs = blocksOf("docs/x.md", md);
  assert.deepEqual(
    bs.map((b) => [b.line, b.run, b.webgpu, b.code]),
    [
      [2, true, false, 'import { array } from "./mod.ts";\n'],
      [10, false, true, 'await initDevice("webgpu");\n'],
      [14, false, false, 'const x = await import("../mod.ts");\n'],
    ],
  );
  // From docs/: "./mod.ts" is not there, so it is the root's; "../mod.ts" is the root's too.
  const dir = join(ROOT, "out", "t");
  assert.equal(rewriteImports(bs[0], dir), 'import { array } from "../../mod.ts";\n');
  assert.equal(rewriteImports(bs[2], dir), 'const x = await import("../../mod.ts");\n');
});
