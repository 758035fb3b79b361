/**
 * The structure of a pyhf workspace as a zod schema, and zod's issues in this project's wording
 * (each at the JSON path of the offending value). Modifier `data` is left open in the workspace's
 * schema and checked per type (`modifierDataShape`) by `workspace.ts`, so that an unknown type gets
 * one clear message instead of a union's list of alternatives.
 *
 * @module
 */
// A full specifier, not a bare "zod" that only this repository's deno.json resolves: users import
// zgrad by URL or path from projects without it (tests/packaging/module_graph_test.ts).
import { z } from "npm:zod@^4.6.7";
import type { ModifierType, WorkspaceIssue } from "./workspace.ts";

const num = z.number();
const numbers = z.array(num);
const modifierShape = z.object({ name: z.string().min(1), type: z.string(), data: z.unknown() });
const sampleShape = z.object({
  name: z.string().min(1),
  data: numbers,
  modifiers: z.array(modifierShape),
});
const channelShape = z.object({ name: z.string().min(1), samples: z.array(sampleShape).min(1) });
const observationShape = z.object({ name: z.string().min(1), data: numbers });
const parameterShape = z.object({
  name: z.string().min(1),
  inits: numbers.optional(),
  bounds: z.array(z.tuple([num, num])).optional(),
  fixed: z.boolean().optional(),
  auxdata: numbers.optional(),
  sigmas: numbers.optional(),
  factors: numbers.optional(),
});
const measurementShape = z.object({
  name: z.string().min(1),
  config: z.object({ poi: z.string(), parameters: z.array(parameterShape).default([]) }),
});
export const workspaceShape = z.object({
  channels: z.array(channelShape).min(1),
  observations: z.array(observationShape),
  measurements: z.array(measurementShape).min(1),
  version: z.string().optional(),
});

export const modifierDataShape: Record<ModifierType, z.ZodType> = {
  normfactor: z.null(),
  lumi: z.null(),
  shapefactor: z.null(),
  normsys: z.object({ hi: num, lo: num }),
  histosys: z.object({ hi_data: numbers, lo_data: numbers }),
  shapesys: numbers,
  staterror: numbers,
};

/** Renders a JSON path (`["channels", 1, "data"]` → `channels[1].data`). */
export function formatPath(parts: readonly PropertyKey[]): string {
  let s = "";
  for (const p of parts) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s === "" ? String(p) : `.${String(p)}`;
  }
  return s === "" ? "(workspace)" : s;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing (missing)";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? v.slice(0, 20) + "…" : v);
  if (globalThis.Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const EXPECTED: Record<string, string> = {
  number: "a finite number",
  tuple: "a [lo, hi] pair",
  array: "an array",
  object: "an object",
  string: "a string",
  boolean: "true or false",
};

/** Turns zod issues into path-named messages in this module's wording. */
export function zodIssues(
  err: z.ZodError,
  root: unknown,
  prefix: readonly PropertyKey[] = [],
): WorkspaceIssue[] {
  return err.issues.map((iss) => {
    const parts = [...prefix, ...iss.path];
    const got = valueAt(root, parts);
    let message: string;
    switch (iss.code) {
      case "invalid_type":
        message = got === undefined
          ? `required ${iss.expected} is missing`
          : `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describe(got)}`;
        break;
      case "too_small":
        message = `expected at least ${iss.minimum} ${
          iss.origin === "string" ? "characters" : "entries"
        }`;
        break;
      case "too_big":
        message = `expected at most ${iss.maximum} entries, got ${describe(got)}`;
        break;
      default:
        message = iss.message;
    }
    return { path: formatPath(parts), message };
  });
}

/** A workspace as the schema parsed it (before the checks of `workspace.ts`). */
export type ParsedWorkspace = z.infer<typeof workspaceShape>;
