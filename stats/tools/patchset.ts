/**
 * pyhf patchsets: a background-only workspace plus named JSON Patches (RFC 6902) that add each
 * signal hypothesis. {@link parsePatchset} validates one, {@link applyPatch} verifies the
 * background-only workspace against the patchset's digests (as pyhf does) and applies a patch by
 * name or by its label values. JSON Patch is `npm:fast-json-patch`.
 *
 * @module
 */
import jsonPatch from "npm:fast-json-patch@^3.1.2";
import { z } from "npm:zod@^4.6.7";
import { formatPath, validateWorkspace, type Workspace } from "../workspace.ts";
import { digest, DIGEST_ALGORITHMS, type DigestAlgorithm } from "./digest.ts";
import { WorkspaceOperationError } from "./operations.ts";

const operation: z.ZodType<PatchOperation> = z.object({
  op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
  path: z.string(),
  value: z.unknown().optional(),
  from: z.string().optional(),
});
const patchsetSchema: z.ZodType<Patchset> = z.object({
  metadata: z.object({
    references: z.record(z.string(), z.string()),
    description: z.string(),
    digests: z.partialRecord(z.enum(DIGEST_ALGORITHMS), z.string()),
    labels: z.array(z.string()).min(1),
  }),
  patches: z.array(z.object({
    metadata: z.object({
      name: z.string(),
      values: z.array(z.union([z.number(), z.string()])),
    }),
    patch: z.array(operation).min(1),
  })).min(1),
  version: z.string(),
});

/** One JSON Patch (RFC 6902) operation. */
export interface PatchOperation {
  /** The operation. */
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  /** JSON Pointer of the target. */
  path: string;
  /** The value (add, replace, test). */
  value?: unknown;
  /** JSON Pointer of the source (move, copy). */
  from?: string;
}

/** One patch of a {@link Patchset}: a signal hypothesis. */
export interface Patch {
  /** Its name and its values of the patchset's labels. */
  metadata: { name: string; values: (number | string)[] };
  /** The JSON Patch adding it to the background-only workspace. */
  patch: PatchOperation[];
}

/** A validated pyhf patchset. */
export interface Patchset {
  /** References, description, digests of the background-only workspace, label names. */
  metadata: {
    references: Record<string, string>;
    description: string;
    digests: Partial<Record<DigestAlgorithm, string>>;
    labels: string[];
  };
  /** The patches. */
  patches: Patch[];
  /** Schema version. */
  version: string;
}

/**
 * Validates a patchset (pyhf's schema and its rules: unique patch names and values, one value
 * per label); errors name the JSON path.
 *
 * @example
 * ```ts ignore
 * import { parsePatchset } from "./patchset.ts";
 * const ps = parsePatchset(JSON.parse(await Deno.readTextFile("patchset.json")));
 * console.log(ps.patches.map((p) => p.metadata.name));
 * ```
 */
export function parsePatchset(json: unknown): Patchset {
  const r = patchsetSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new WorkspaceOperationError(`patchset: ${formatPath(i.path)}: ${i.message}`);
  }
  const ps = r.data;
  const names = new Set<string>(), values = new Set<string>();
  ps.patches.forEach((p, k) => {
    const at = `patches[${k}].metadata`;
    const v = JSON.stringify(p.metadata.values);
    if (names.has(p.metadata.name)) {
      throw new WorkspaceOperationError(`patchset: ${at}.name: duplicate ${p.metadata.name}`);
    }
    if (values.has(v)) throw new WorkspaceOperationError(`patchset: ${at}.values: duplicate ${v}`);
    if (p.metadata.values.length !== ps.metadata.labels.length) {
      throw new WorkspaceOperationError(
        `patchset: ${at}.values: ${p.metadata.values.length} values, expected ${ps.metadata.labels.length} (labels ${
          ps.metadata.labels.join(", ")
        })`,
      );
    }
    names.add(p.metadata.name);
    values.add(v);
  });
  return ps;
}

/** The patch named `key`, or whose label values are `key`. */
export function findPatch(ps: Patchset, key: string | (number | string)[]): Patch {
  const p = typeof key === "string"
    ? ps.patches.find((q) => q.metadata.name === key)
    : ps.patches.find((q) => JSON.stringify(q.metadata.values) === JSON.stringify(key));
  if (!p) {
    throw new WorkspaceOperationError(
      `No patch associated with ${JSON.stringify(key)} is defined in the patchset (patches: ${
        ps.patches.map((q) => q.metadata.name).join(", ")
      })`,
    );
  }
  return p;
}

/**
 * pyhf's `PatchSet.verify`: every digest of the patchset matches the background-only workspace
 * (pass its JSON text for pyhf's exact digest).
 *
 * @example
 * ```ts ignore
 * import { verifyPatchset } from "./patchset.ts";
 * verifyPatchset(ps, await Deno.readTextFile("bkgonly.json")); // throws on a mismatch
 * ```
 */
export function verifyPatchset(ps: Patchset, bkgOnly: Workspace | string): void {
  for (const [alg, want] of Object.entries(ps.metadata.digests)) {
    const got = digest(bkgOnly, alg as DigestAlgorithm);
    if (got !== want) {
      throw new WorkspaceOperationError(
        `The digest verification failed for hash algorithm '${alg}'. Expected: ${want}. Got: ${got}`,
      );
    }
  }
}

/**
 * pyhf's `PatchSet.apply`: verifies the background-only workspace, applies the patch named (or
 * labelled) `key`, and returns the validated signal workspace.
 *
 * @example
 * ```ts ignore
 * import { applyPatch, parsePatchset } from "./patchset.ts";
 * const text = await Deno.readTextFile("bkgonly.json");
 * const ws = applyPatch(parsePatchset(patchsetJson), text, "patch_channel1_signal_syst1");
 * ```
 */
export function applyPatch(
  ps: Patchset,
  bkgOnly: Workspace | string,
  key: string | (number | string)[],
): Workspace {
  verifyPatchset(ps, bkgOnly);
  const doc = typeof bkgOnly === "string" ? JSON.parse(bkgOnly) : structuredClone(bkgOnly);
  const patch = findPatch(ps, key);
  try {
    const r = jsonPatch.applyPatch(doc, patch.patch as jsonPatch.Operation[], true, true);
    return validateWorkspace(r.newDocument);
  } catch (e) {
    if (e instanceof jsonPatch.JsonPatchError) {
      throw new WorkspaceOperationError(
        `patch ${patch.metadata.name}: operation ${e.index}: ${e.message.split("\n")[0]}`,
      );
    }
    throw e;
  }
}
