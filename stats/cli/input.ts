/**
 * The CLI's inputs: files (or stdin) read as UTF-8 with clear errors, paths relative to where the
 * task started, workspaces validated and built into models. Every failure is an
 * {@link InputError} (exit code 1) with a one-line message.
 *
 * @module
 */
import { fromPyhf, type Model, parseWorkspace } from "../mod.ts";
import type { Interpolation } from "../model.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * Bad input or a failed computation (exit code 1), with a one-line message.
 *
 * @example
 * ```ts
 * import { InputError, loadModel } from "./input.ts";
 * try { await loadModel("missing.json", null); }
 * catch (e) { console.log(e instanceof InputError, (e as Error).message); }
 * ```
 */
export class InputError extends Error {
  /** An input error saying `message`. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** An error as one line (a multi-line message joined with "; "). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n").map((s) => s.trim()).filter(Boolean).join("; ");
}

/**
 * Reads a CLI input file (`"-"`: stdin) as UTF-8 text; unreadable files and invalid UTF-8 (with
 * the byte offset) are {@link InputError}s naming `what` and the path.
 *
 * @example
 * ```ts ignore
 * import { readInputText } from "./input.ts";
 * const text = await readInputText("patchset.json", "patchset");
 * ```
 */
export async function readInputText(path: string, what: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(resolvePath(path));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "permission denied (run with --allow-read)"
      : oneLine(e);
    throw new InputError(`cannot read ${what} ${JSON.stringify(path)}: ${why}`);
  }
  try {
    return decodeUtf8(bytes, `${what} ${JSON.stringify(path)}`);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/**
 * Reads (`"-"`: from stdin), validates and builds the model. Every failure is an
 * {@link InputError}.
 *
 * @example
 * ```ts
 * import { loadModel } from "./input.ts";
 * const model = await loadModel("workspace.json", null); // pyhf's interpolation codes
 * ```
 */
export async function loadModel(
  path: string,
  measurement: string | null,
  interp?: Interpolation,
): Promise<Model> {
  const text = await readInputText(path, "workspace");
  try {
    const ws = parseWorkspace(text);
    return fromPyhf(ws, {
      measurement: measurement ?? undefined,
      modifierSettings: interp && {
        normsys: { interpcode: interp.normsys },
        histosys: { interpcode: interp.histosys },
      },
    });
  } catch (e) {
    throw new InputError(`invalid workspace ${JSON.stringify(path)}: ${oneLine(e)}`);
  }
}

/**
 * `deno task` runs in the directory of deno.json; a relative path is taken relative to where the
 * task was started (`INIT_CWD`, which deno task and npm set), else to the working directory.
 *
 * @example
 * ```ts ignore
 * import { resolvePath } from "./input.ts";
 * await Deno.readTextFile(resolvePath("workspace.json"));
 * ```
 */
export function resolvePath(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  let base: string | undefined;
  try {
    base = Deno.env.get("INIT_CWD");
  } catch {
    base = undefined; // no env permission
  }
  return base ? `${base.replace(/[\\/]+$/, "")}/${path}` : path;
}
