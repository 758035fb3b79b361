/**
 * Workspace tools, as pyhf's CLI has them: `inspect`, `prune`, `rename`, `combine`, `sort`,
 * `digest` and patchsets.
 *
 * @module
 */
export {
  type Constraint,
  formatSummary,
  inspectWorkspace,
  type WorkspaceSummary,
} from "./inspect.ts";
export {
  combine,
  type Join,
  JOINS,
  prune,
  type PruneOptions,
  rename,
  type RenameOptions,
  sorted,
  WorkspaceOperationError,
} from "./operations.ts";
export { digest, DIGEST_ALGORITHMS, type DigestAlgorithm } from "./digest.ts";
export {
  applyPatch,
  findPatch,
  parsePatchset,
  type Patch,
  type PatchOperation,
  type Patchset,
  verifyPatchset,
} from "./patchset.ts";
export { pythonFloatRepr, pythonJsonDumps } from "./pyjson.ts";
