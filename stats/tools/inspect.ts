/**
 * pyhf's `inspect`: a summary of a workspace (channels with bin counts, samples, parameters with
 * their constraint and modifier types, measurements), as data and as pyhf's text layout.
 *
 * @module
 */
import type { ModifierType, Workspace } from "../workspace.ts";

/** What {@link inspectWorkspace} reports. */
export interface WorkspaceSummary {
  /** Channel names with their number of bins, sorted by name (as pyhf). */
  channels: [string, number][];
  /** Sample names, each once, sorted. */
  samples: string[];
  /** Modifier name → type (each name once), sorted by name. */
  modifiers: [string, ModifierType][];
  /** Parameters sorted by name: constraint and the modifier types sharing the parameter. */
  parameters: { name: string; constraint: Constraint; modifiers: ModifierType[] }[];
  /** Measurements: name, POI, configured parameter names; the first is the default. */
  measurements: { name: string; poi: string; parameters: string[] }[];
}

/** pyhf's names of the constraint kinds. */
export type Constraint = "unconstrained" | "constrained_by_normal" | "constrained_by_poisson";

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const CONSTRAINT: Record<ModifierType, Constraint> = {
  normfactor: "unconstrained",
  shapefactor: "unconstrained",
  shapesys: "constrained_by_poisson",
  normsys: "constrained_by_normal",
  histosys: "constrained_by_normal",
  lumi: "constrained_by_normal",
  staterror: "constrained_by_normal",
};

/**
 * The summary pyhf's `inspect` prints.
 *
 * @example
 * ```ts ignore
 * import { inspectWorkspace } from "./inspect.ts";
 * console.log(inspectWorkspace(ws).parameters);
 * ```
 */
export function inspectWorkspace(ws: Workspace): WorkspaceSummary {
  const modifiers = new Map<string, ModifierType>();
  const types = new Map<string, Set<ModifierType>>();
  const samples: string[] = [];
  for (const c of ws.channels) {
    for (const s of c.samples) {
      if (!samples.includes(s.name)) samples.push(s.name);
      for (const m of s.modifiers) {
        if (!modifiers.has(m.name)) modifiers.set(m.name, m.type);
        types.set(m.name, (types.get(m.name) ?? new Set()).add(m.type));
      }
    }
  }
  const parameters = [...types].sort(([a], [b]) => cmp(a, b)).map((
    [name, ts],
  ) => ({ name, constraint: CONSTRAINT[[...ts][0]], modifiers: [...ts].sort() }));
  return {
    channels: ws.channels.map((c): [string, number] => [c.name, c.samples[0]?.data.length ?? 0])
      .sort(([a], [b]) => cmp(a, b)),
    samples: samples.sort(cmp),
    modifiers: [...modifiers].sort(([a], [b]) => cmp(a, b)),
    parameters,
    measurements: ws.measurements.map((m) => ({
      name: m.name,
      poi: m.config.poi,
      parameters: m.config.parameters.map((p) => p.name),
    })),
  };
}

const right = (s: string, w: number) => s.padStart(w);
const center = (s: string, w: number) => {
  const pad = Math.max(0, w - s.length), l = Math.floor(pad / 2);
  return " ".repeat(l) + s + " ".repeat(pad - l);
};

/**
 * pyhf's text layout of {@link inspectWorkspace}'s summary.
 *
 * @example
 * ```ts ignore
 * import { formatSummary, inspectWorkspace } from "./inspect.ts";
 * console.log(formatSummary(inspectWorkspace(ws)));
 * ```
 */
export function formatSummary(s: WorkspaceSummary): string {
  const w = Math.max(
    ...s.channels.map(([c]) => c.length),
    ...s.samples.map((x) => x.length),
    ...s.parameters.map((p) => p.name.length),
    ...s.measurements.map((m) => m.name.length),
  );
  const lines: string[] = [];
  lines.push(right("     Summary     ", w + 7) + "  ", right("-".repeat(18), w + 7) + "  ");
  const counts: [string, number][] = [
    ["channels", s.channels.length],
    ["samples", s.samples.length],
    ["parameters", s.parameters.length],
    ["modifiers", s.modifiers.length],
  ];
  for (const [k, n] of counts) lines.push(`${right(k, w)}  ${n}`);
  lines.push("", `${right("channels", w)}  nbins`, `${right("-".repeat(10), w)}  -----`);
  for (const [c, n] of s.channels) lines.push(`${right(c, w)}  ${center(String(n), 5)}`);
  lines.push("", right("samples", w), right("-".repeat(10), w));
  for (const x of s.samples) lines.push(right(x, w));
  lines.push("", `${right("parameters", w)}  ${"constraint".padEnd(22)}  modifiers`);
  lines.push(`${right("-".repeat(10), w)}  ${"-".repeat(10).padEnd(22)}  ${"-".repeat(10)}`);
  for (const p of s.parameters) {
    lines.push(`${right(p.name, w)}  ${p.constraint.padEnd(22)}  ${p.modifiers.join(",")}`);
  }
  lines.push("", `${right("measurement", w)}  ${center("poi", 22)}  parameters`);
  lines.push(`${right("-".repeat(10), w)}  ${center("-".repeat(10), 22)}  ${"-".repeat(10)}`);
  s.measurements.forEach((m, i) => {
    const name = (i === 0 ? "(*) " : "") + m.name;
    const ps = m.parameters.length ? m.parameters.join(",") : "(none)";
    lines.push(`${right(name, w)}  ${center(m.poi, 22)}  ${ps}`);
  });
  return lines.join("\n") + "\n";
}
