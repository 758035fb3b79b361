/**
 * Drives the web page (`examples/web/`) in headless Chromium for page_test.ts, in its own process:
 * Playwright needs more permissions (`-A`) than the test suite runs with (as
 * tests/packaging/_browser_driver.ts).
 *
 * Usage: `deno run -A _page_driver.ts job.json` where job.json is
 * `{ chromium, url, webgpu, btag, steps, screenshot }`: opens `url`, waits for the first Z, moves
 * the b-tag slider to `btag`, waits for the new Z, runs `steps` Adam steps, saves a screenshot to
 * `screenshot`. Prints one JSON line: what the page showed at each stage, or `{ error }`, with
 * the page's uncaught errors.
 *
 * @module
 */
import { CHROMIUM_ARGS } from "../packaging/_serve.ts";
import { chromium, type Page } from "npm:playwright-core@1.65.2";

interface Job {
  chromium: string;
  url: string;
  /** Start Chromium with `--enable-unsafe-webgpu`. */
  webgpu: boolean;
  btag: number;
  steps: number;
  screenshot: string;
}

/** What the page shows (see examples/web/app.ts: Z's data attributes carry full precision). */
export interface Shown {
  z: number;
  /** Z as displayed. */
  zText: string;
  met: number;
  btag: number;
  h: number;
  gradMet: number;
  gradBtag: number;
  device: string;
  deviceText: string;
  threads: string;
  status: string;
}

/** The driver's output. */
export interface DriverResult {
  initial?: Shown;
  changed?: Shown;
  optimised?: Shown;
  climb?: number[];
  error?: string;
  pageErrors: string[];
}

const job: Job = JSON.parse(await Deno.readTextFile(Deno.args[0]));

/** Reads what the page shows (a script evaluated in the page: this file has no DOM types). */
function read(page: Page): Promise<Shown> {
  return page.evaluate(`(() => {
    const el = (id) => document.getElementById(id);
    const d = el("z").dataset;
    return {
      z: Number(d.value),
      zText: el("z").textContent,
      met: Number(d.met),
      btag: Number(d.btag),
      h: Number(d.h),
      gradMet: Number(d.gradMet),
      gradBtag: Number(d.gradBtag),
      device: el("device").dataset.device ?? "",
      deviceText: el("device").textContent,
      threads: el("threads").textContent,
      status: el("status").textContent,
    };
  })()`);
}

/** The text of a script evaluated in the page. */
const text = (page: Page, script: string): Promise<string> => page.evaluate(script);

/** Waits until the page is idle (or failed) with `done` true; throws the page's error. */
async function settle(page: Page, done: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    `(() => { const s = document.getElementById("status").dataset.state;
      return s === "error" || (s === "ready" && (${done})); })()`,
    null,
    { timeout },
  );
  if (await text(page, `document.getElementById("status").dataset.state`) === "error") {
    throw new Error(await text(page, `document.getElementById("status").textContent`));
  }
}

const browser = await chromium.launch({
  executablePath: job.chromium,
  // A fresh temporary profile (user-data dir) per launch: Playwright's default.
  args: [...CHROMIUM_ARGS, ...(job.webgpu ? ["--enable-unsafe-webgpu"] : [])],
});
const result: DriverResult = { pageErrors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on("pageerror", (e: Error) => result.pageErrors.push(e.message));
  await page.goto(job.url);
  await settle(page, `document.getElementById("z").dataset.value !== undefined`, 40_000);
  result.initial = await read(page);

  // Move the b-tag cut as a user would (an input event on the slider).
  await page.evaluate(`(() => {
    const el = document.getElementById("btag");
    el.value = "${job.btag}";
    el.dispatchEvent(new Event("input"));
  })()`);
  await settle(page, `document.getElementById("z").dataset.btag === "${job.btag}"`, 20_000);
  result.changed = await read(page);

  await page.fill("#steps", String(job.steps));
  await page.click("#optimise");
  await settle(page, `document.getElementById("climb").dataset.steps === "${job.steps}"`, 30_000);
  result.optimised = await read(page);
  result.climb = JSON.parse(await text(page, `document.getElementById("climb").dataset.z`));
  await page.screenshot({ path: job.screenshot, fullPage: true });
} catch (e) {
  result.error = e instanceof Error ? e.message : String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
