/**
 * Drives headless Chromium for browser_test.ts, in its own process: Playwright needs more
 * permissions (`-A`: it probes /proc, the home folder, ...) than the test suite runs with.
 *
 * Usage: `deno run -A _browser_driver.ts jobs.json` where jobs.json is
 * `{ chromium: path, jobs: [{ url, body }] }`; each job opens `url` in a new page and evaluates
 * `body` (the body of an async function). Prints one JSON line: per job `{ value }` or
 * `{ error }`, with the page's uncaught errors.
 */
import { CHROMIUM_ARGS } from "./_serve.ts";
import { chromium } from "npm:playwright-core@1.65.2";

interface Job {
  url: string;
  body: string;
}
const { chromium: executablePath, jobs }: { chromium: string; jobs: Job[] } = JSON.parse(
  await Deno.readTextFile(Deno.args[0]),
);
const browser = await chromium.launch({
  executablePath,
  args: [...CHROMIUM_ARGS, "--enable-unsafe-webgpu"],
});
const results: { value?: unknown; error?: string; pageErrors: string[] }[] = [];
try {
  for (const job of jobs) {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e: Error) => pageErrors.push(e.message));
    try {
      await page.goto(job.url);
      results.push({ value: await page.evaluate(`(async () => {\n${job.body}\n})()`), pageErrors });
    } catch (e) {
      results.push({ error: e instanceof Error ? e.message : String(e), pageErrors });
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
