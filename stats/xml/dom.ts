/**
 * A minimal XML element tree (what Python's `xml.etree.ElementTree` gives pyhf's readxml): tag,
 * attributes, the text before the first child element, and child elements in document order.
 * Parsing is `fast-xml-parser`'s, in its order-preserving mode, after its validator has checked
 * that the document is well formed (so a broken file gets a line and column).
 *
 * @module
 */
import { XMLParser, XMLValidator } from "npm:fast-xml-parser@5.12.1";

/** An XML element: the parts of ElementTree's `Element` that HistFactory XML uses. */
export interface XmlElement {
  /** Tag name. */
  tag: string;
  /** Attributes as written (no type conversion). */
  attrs: Record<string, string>;
  /** Text before the first child element (ElementTree's `.text`), `""` when none. */
  text: string;
  /** Child elements in document order. */
  children: XmlElement[];
}

/** A HistFactory XML or ROOT input problem; the message names the file (and element). */
export class XmlImportError extends Error {
  /** The XML or ROOT file concerned. */
  readonly file: string;
  /** An error about `file`. */
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`${file}: ${detail}`, options);
    this.name = "XmlImportError";
    this.file = file;
  }
}

/**
 * The message of a caught value (an `Error`'s message, else its string form).
 *
 * @example
 * ```ts
 * import { errorMessage } from "./dom.ts";
 * errorMessage(new Error("boom")); // "boom"
 * ```
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * fast-xml-parser's order-preserving node, `{tag: children, ":@": attrs}` or `{"#text": s}`;
 * checked field by field, as the library's output is untyped.
 */
type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  // Decodes &amp; &lt; and the like in attribute values and text.
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function toElement(node: OrderedNode): XmlElement | null {
  const tag = Object.keys(node).find((k) => k !== ":@" && k !== "#text" && k !== "#comment");
  const kids = tag === undefined ? undefined : node[tag];
  if (tag === undefined || !Array.isArray(kids)) return null;
  const attrs: Record<string, string> = {};
  const raw = node[":@"];
  if (raw && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) attrs[k] = String(v);
  }
  const children: XmlElement[] = [];
  let text = "";
  for (const kid of kids) {
    if ("#text" in kid) {
      if (children.length === 0) text += String(kid["#text"]);
      continue;
    }
    const child = toElement(kid);
    if (child) children.push(child);
  }
  return { tag, attrs, text, children };
}

/**
 * Parses an XML document and returns its root element; `file` names it in errors.
 *
 * @example
 * ```ts
 * import { parseXml } from "./dom.ts";
 * const root = parseXml('<Channel Name="c1"><Data HistoName="data"/></Channel>', "c1.xml");
 * root.attrs.Name; // "c1"
 * root.children[0].tag; // "Data"
 * ```
 */
export function parseXml(text: string, file: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlImportError(file, `not well-formed XML at line ${line}, column ${col}: ${msg}`);
  }
  const nodes: unknown = parser.parse(text);
  const roots = (Array.isArray(nodes) ? nodes : []).map(toElement)
    .filter((e): e is XmlElement => e !== null);
  if (roots.length !== 1) {
    throw new XmlImportError(file, `expected one root element, found ${roots.length}`);
  }
  return roots[0];
}

/**
 * The element and all its descendants in document order (ElementTree's `Element.iter()`).
 *
 * @example
 * ```ts
 * import { iterElements, parseXml } from "./dom.ts";
 * const root = parseXml("<a><b><c/></b><d/></a>", "x.xml");
 * [...iterElements(root)].map((e) => e.tag); // ["a", "b", "c", "d"]
 * ```
 */
export function* iterElements(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* iterElements(c);
}

/**
 * How an element is named in error messages: its tag and `Name` attribute when it has one.
 *
 * @example
 * ```ts
 * import { describeElement } from "./dom.ts";
 * describeElement({ tag: "Sample", attrs: { Name: "signal" }, text: "", children: [] });
 * // '<Sample Name="signal">'
 * ```
 */
export function describeElement(el: XmlElement): string {
  return el.attrs.Name !== undefined ? `<${el.tag} Name="${el.attrs.Name}">` : `<${el.tag}>`;
}
