/**
 * Strict UTF-8 decoding for input files: invalid bytes are an error naming their offset, never
 * replaced silently (a U+FFFD in a sample or parameter name would change the model).
 *
 * @module
 */

/**
 * Strict UTF-8 decoding: a workspace with bytes that are not UTF-8 is refused with the offset of
 * the first bad byte (a replacement character would silently change names and numbers).
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * decodeUtf8(new Uint8Array([0x7b, 0xff, 0x7d]), "ws.json"); // throws: … byte offset 1 (0xff …)
 * ```
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const hex = Array.from(bytes.subarray(at, at + 4), (b) => b.toString(16).padStart(2, "0"));
    throw new TypeError(
      `${what} is not valid UTF-8: invalid byte sequence at byte offset ${at} (0x${
        hex.join(" 0x")
      })`,
    );
  }
}

/** The offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0, min = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 2, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, min = 0x10000;
    else return i;
    if (n > 0 && i + n >= b.length) return i; // truncated at the end
    let cp = n ? c & (0x3f >> n) : c;
    for (let k = 1; k <= n; k++) {
      if ((b[i + k] & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (n && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return i;
    i += n + 1;
  }
  return b.length;
}
