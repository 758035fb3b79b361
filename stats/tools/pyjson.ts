/**
 * Python's `json.dumps(obj, sort_keys=True, ensure_ascii=False)` in TypeScript, so that digests
 * of workspaces (pyhf's `utils.digest`) are the bits pyhf computes. Python keeps the JSON number
 * kinds apart (`2` is an int, `2.0` a float, printed back as `2.0`), which a JavaScript number
 * cannot: from JSON text the kinds are read off the source tokens; from a value, integral numbers
 * are taken as ints.
 *
 * @module
 */

/** A number with the JSON token it came from. */
class Token {
  constructor(readonly source: string) {}
}

/**
 * Python's `repr(float)`: the shortest round-trip digits, fixed notation for decimal exponents
 * −5 < e < 16 (with `.0` when integral), scientific with a signed two-digit exponent otherwise.
 *
 * @example
 * ```ts
 * import { pythonFloatRepr } from "./pyjson.ts";
 * pythonFloatRepr(2); // "2.0"
 * pythonFloatRepr(1e-5); // "1e-05"
 * ```
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const e = Number(expText);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ex = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${m}e${e < 0 ? "-" : "+"}${ex}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const int = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1);
  return `${sign}${int}.${frac || "0"}`;
}

function numberText(v: number | Token): string {
  if (v instanceof Token) {
    const s = v.source;
    if (/[.eE]/.test(s)) return pythonFloatRepr(Number(s));
    return s === "-0" ? "0" : s; // a Python int, printed as written (exact even when huge)
  }
  return Number.isInteger(v) ? String(v) : pythonFloatRepr(v);
}

function dumps(v: unknown, sortKeys: boolean): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number" || v instanceof Token) return numberText(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => dumps(x, sortKeys)).join(", ")}]`;
  if (typeof v === "object") {
    const keys = Object.keys(v as object);
    if (sortKeys) keys.sort();
    const rec = v as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${dumps(rec[k], sortKeys)}`).join(", ")}}`;
  }
  throw new TypeError(`pythonJsonDumps: ${typeof v} is not JSON-serialisable`);
}

/**
 * `json.dumps(value, sort_keys=sortKeys, ensure_ascii=False)` as Python prints it. Given JSON
 * text, number kinds (int or float) come from its tokens, as Python's `json.loads` reads them.
 *
 * @example
 * ```ts
 * import { pythonJsonDumps } from "./pyjson.ts";
 * pythonJsonDumps('{"b": 3.0, "a": [1, 2.50]}'); // '{"a": [1, 2.5], "b": 3.0}'
 * pythonJsonDumps({ b: 3, a: 0.1 }); // '{"a": 0.1, "b": 3}'
 * ```
 */
export function pythonJsonDumps(
  value: unknown,
  opts: { sortKeys?: boolean; fromText?: boolean } = {},
): string {
  const sortKeys = opts.sortKeys ?? true;
  const v = typeof value === "string" && opts.fromText !== false
    ? JSON.parse(
      value,
      (_k, x, ctx?: { source?: string }) =>
        typeof x === "number" && ctx?.source !== undefined ? new Token(ctx.source) : x,
    )
    : value;
  return dumps(v, sortKeys);
}
