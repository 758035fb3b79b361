/**
 * Parameters: merging what the modifiers require (one requirement per declaring modifier type)
 * with the measurement's parameter configs, then placing them in the parameter vector. This is
 * pyhf's `reduce_paramsets_requirements` + `_create_and_register_paramsets`: a name used by several
 * modifiers must ask for the same thing (kind, size, defaults), and a config may only override
 * fields the modifier uses (`inits`, `bounds`, `fixed`, and `auxdata`/`sigmas`/`factors` for
 * constraints that have them), with the right number of values.
 *
 * @module
 */
import type { ParamRequirement, Paramset } from "./modifiers/common.ts";
import type { ParameterConfig, WorkspaceIssue } from "./workspace.ts";

const COMPARED = [
  "kind",
  "n",
  "isScalar",
  "inits",
  "bounds",
  "fixed",
  "auxdata",
  "sigmas",
  "factors",
] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Merges requirements (in registration order) with configs into placed paramsets. Problems are
 * appended to `issues` (paths name the config entry or the declaring modifier).
 */
export function resolveParamsets(
  requirements: ReadonlyMap<string, readonly ParamRequirement[]>,
  configs: readonly ParameterConfig[],
  configPath: string,
  issues: WorkspaceIssue[],
): Paramset[] {
  const configIndex = new Map(configs.map((c, i) => [c.name, i]));
  const out: Paramset[] = [];
  let start = 0;
  for (const [name, reqs] of requirements) {
    const req = reqs[0];
    for (const other of reqs.slice(1)) {
      const diff = COMPARED.find((k) => !same(req[k], other[k]));
      if (diff) {
        issues.push({
          path: other.path,
          message:
            `parameter ${JSON.stringify(name)} is declared by ${req.type} (${req.path}) and ` +
            `${other.type} with different ${diff} (${JSON.stringify(req[diff])} vs ${
              JSON.stringify(other[diff])
            }); use distinct modifier names`,
        });
      }
    }
    const ci = configIndex.get(name);
    const cfg = ci === undefined ? undefined : configs[ci];
    const cp = ci === undefined ? configPath : `${configPath}[${ci}]`;
    const n = req.n;
    const configured = new Set<"auxdata" | "sigmas" | "factors">();

    const pick = <T>(
      key: "inits" | "bounds" | "auxdata" | "sigmas" | "factors",
    ): T[] | undefined => {
      const given = cfg?.[key] as T[] | undefined;
      const dflt = req[key] as T[] | null | undefined;
      if (given !== undefined) {
        if (dflt === undefined) {
          issues.push({
            path: `${cp}.${key}`,
            message: `parameter ${JSON.stringify(name)} (${req.type}) does not use ${key}`,
          });
          return undefined;
        }
        if (given.length !== n) {
          issues.push({
            path: `${cp}.${key}`,
            message: `expected ${n} ${n === 1 ? "value" : "values"} for parameter ${
              JSON.stringify(name)
            }, got ${given.length}`,
          });
          return dflt ?? undefined;
        }
        if (key === "auxdata" || key === "sigmas" || key === "factors") configured.add(key);
        return given;
      }
      return dflt ?? undefined;
    };

    const auxdata = pick<number>("auxdata");
    const sigmas = pick<number>("sigmas");
    const factors = pick<number>("factors");
    let inits = pick<number>("inits");
    let bounds = pick<[number, number]>("bounds");
    // The luminosity has no defaults: its constraint must come from the measurement.
    if (req.auxdata === null && auxdata === undefined) {
      issues.push({
        path: configPath,
        message:
          `${req.type} parameter ${JSON.stringify(name)} needs a config entry with auxdata ` +
          `and sigmas (e.g. {"name": ${JSON.stringify(name)}, "auxdata": [1.0], "sigmas": [0.02]})`,
      });
    } else if (req.sigmas === null && sigmas === undefined) {
      issues.push({
        path: cfg ? `${cp}.sigmas` : configPath,
        message: `${req.type} parameter ${JSON.stringify(name)} needs sigmas in its config entry`,
      });
    }
    inits ??= auxdata ?? new globalThis.Array(n).fill(0);
    bounds ??= (auxdata ?? new globalThis.Array(n).fill(1)).map((a) =>
      [0, 10 * a] as [number, number]
    );
    const fixed = cfg?.fixed !== undefined
      ? new globalThis.Array(n).fill(cfg.fixed)
      : [...req.fixed];

    out.push({
      name,
      type: req.type,
      start,
      n,
      isScalar: req.isScalar,
      kind: req.kind,
      inits,
      bounds,
      fixed,
      ...(req.kind !== "unconstrained"
        ? { auxdata: auxdata ?? new globalThis.Array(n).fill(0) }
        : {}),
      ...(req.kind === "normal" ? { sigmas: sigmas ?? new globalThis.Array(n).fill(1) } : {}),
      ...(req.kind === "poisson" ? { factors: factors ?? new globalThis.Array(n).fill(1) } : {}),
      configured,
    });
    start += n;
  }
  return out;
}
