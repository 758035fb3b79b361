/**
 * HistFactory XML ⇄ pyhf JSON: {@link xml2json} (pyhf's `readxml`, ROOT histograms read with
 * jsroot) and {@link json2xml} (pyhf's `writexml`, histograms written as JSON because jsroot
 * cannot write ROOT files).
 *
 * @module
 */
export { errorMessage, parseXml, type XmlElement, XmlImportError } from "./dom.ts";
export {
  type Histogram,
  HistogramError,
  type HistogramFile,
  HistogramReader,
  JSON_HISTOGRAM_FORMAT,
  type JsonHistogramFile,
} from "./histograms.ts";
export {
  dedupeParameters,
  interpretRootName,
  processMeasurements,
  type RootName,
} from "./measurements.ts";
export { resolverFactory, xml2json, type Xml2JsonOptions } from "./readxml.ts";
export { json2xml, type Json2XmlOptions, writeXml } from "./writexml.ts";
