/**
 * The `zgrad` command line: `deno task zgrad <fit|hypotest|upper-limit|significance|ranking>
 * WORKSPACE.json [--mu 1] [--test-stat qtilde|q|q0] [--measurement NAME] [--interp root|pyhf]
 * [--json]`, or `deno run -A cli.ts …`. See `deno run -A cli.ts --help` and docs/stats.md.
 *
 * @example
 * ```sh
 * deno run -A cli.ts fit workspace.json --json
 * ```
 *
 * @module
 */
import { main } from "./stats/cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
