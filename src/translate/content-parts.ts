/**
 * Image and document parts of user messages → Converse image/document blocks (formats and size limits as in the
 * Bedrock Converse API reference, ImageBlock and DocumentBlock).
 * Bytes stay base64: the REST-JSON wire format carries blobs as base64, so the gateway only validates and forwards.
 */
import type { ContentBlock, DocumentFormat, ImageFormat } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import { decodedByteLength, isValidBase64, parseDataUrl } from "./base64";

/** Bedrock's per-request limits (API_runtime_Message). MB here means MiB, as in AWS's quotas. */
export const MAX_IMAGES = 20;
export const MAX_IMAGE_BYTES = 3.75 * 1024 * 1024;
export const MAX_DOCUMENTS = 5;
export const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;
const MAX_DOCUMENT_NAME = 200;

/**
 * Seam for fetching `https://` images server-side. Not implemented: fetching arbitrary URLs needs SSRF
 * protection (vetted addresses, no redirects into private space, size and time limits). A route that wants it
 * resolves URLs before translation with `resolveRemoteImages` (remote-images.ts).
 */
export type ResolveRemoteImage = (url: string, signal?: AbortSignal) => Promise<{ mediaType: string; base64: string }>;

/** Per-request counters: Bedrock's limits are per request and document names must be unique in it. */
export type PartCounters = { images: number; documents: number; documentNames: Set<string> };

/** Fresh counters for one request. */
export const newPartCounters = (): PartCounters => ({ images: 0, documents: 0, documentNames: new Set() });

const IMAGE_MIME: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};
const IMAGE_EXT: Record<string, ImageFormat> = { png: "png", jpg: "jpeg", jpeg: "jpeg", gif: "gif", webp: "webp" };

const DOCUMENT_MIME: Record<string, DocumentFormat> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/x-markdown": "md",
};
const DOCUMENT_EXT: Record<string, DocumentFormat> = {
  pdf: "pdf",
  csv: "csv",
  doc: "doc",
  docx: "docx",
  xls: "xls",
  xlsx: "xlsx",
  html: "html",
  htm: "html",
  txt: "txt",
  md: "md",
  markdown: "md",
};

const extensionOf = (name: string): string => {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return m ? m[1]!.toLowerCase() : "";
};

/** `image_url.url` → image block. `param` names the part, e.g. `messages[0].content[1]`. */
export function toImageBlock(url: string, param: string, counters: PartCounters): ContentBlock {
  const urlParam = `${param}.image_url.url`;
  if (++counters.images > MAX_IMAGES) {
    throw GatewayError.invalidRequest(param, `Too many images: Bedrock accepts at most ${MAX_IMAGES} per request.`);
  }
  if (/^https?:\/\//i.test(url)) {
    throw GatewayError.invalidRequest(
      urlParam,
      "Remote image URLs are not fetched by this gateway. Send the image inline as a data URL (data:image/png;base64,...) or as an s3:// URI.",
    );
  }
  if (url.startsWith("s3://")) {
    const format = IMAGE_EXT[extensionOf(url)];
    if (!/^s3:\/\/[^/]+\/.+/.test(url) || !format) {
      throw GatewayError.invalidRequest(urlParam, "An s3:// image URL must name an object ending in .png, .jpg, .jpeg, .gif or .webp.");
    }
    return { image: { format, source: { s3Location: { uri: url } } } };
  }
  const data = parseDataUrl(url);
  if (!data) {
    throw GatewayError.invalidRequest(urlParam, "image_url.url must be a base64 data URL (data:image/png;base64,...) or an s3:// URI.");
  }
  const format = IMAGE_MIME[data.mediaType];
  if (!format) {
    throw GatewayError.invalidRequest(urlParam, `Unsupported image type '${data.mediaType}': use image/png, image/jpeg, image/gif or image/webp.`);
  }
  checkBytes(data.base64, MAX_IMAGE_BYTES, urlParam, "image");
  return { image: { format, source: { bytes: data.base64 } } };
}

/** `file` part → document block. Accepts a data URL or bare base64 in `file_data` (format then from `filename`). */
export function toDocumentBlock(
  file: { file_data?: string | null; filename?: string | null; file_id?: string | null },
  param: string,
  counters: PartCounters,
): ContentBlock {
  if (file.file_id) {
    throw GatewayError.invalidRequest(`${param}.file.file_id`, "file_id is not supported (this gateway has no Files API): send the file inline as file_data.");
  }
  const dataParam = `${param}.file.file_data`;
  if (!file.file_data) throw GatewayError.invalidRequest(dataParam, "file.file_data is required.");
  if (++counters.documents > MAX_DOCUMENTS) {
    throw GatewayError.invalidRequest(param, `Too many documents: Bedrock accepts at most ${MAX_DOCUMENTS} per request.`);
  }
  const filename = file.filename ?? "";
  const data = parseDataUrl(file.file_data) ?? (file.file_data.startsWith("data:") ? null : { mediaType: "", base64: file.file_data });
  if (!data) throw GatewayError.invalidRequest(dataParam, "file.file_data must be a base64 data URL (data:application/pdf;base64,...).");
  const format = DOCUMENT_MIME[data.mediaType] ?? DOCUMENT_EXT[extensionOf(filename)];
  if (!format) {
    throw GatewayError.invalidRequest(
      dataParam,
      `Unsupported document type${data.mediaType ? ` '${data.mediaType}'` : ""}: use pdf, csv, doc, docx, xls, xlsx, html, txt or md (by MIME type or filename extension).`,
    );
  }
  checkBytes(data.base64, MAX_DOCUMENT_BYTES, dataParam, "document");
  const name = uniqueName(sanitizeDocumentName(filename) || `document-${counters.documents}`, counters.documentNames);
  return { document: { format, name, source: { bytes: data.base64 } } };
}

function checkBytes(base64: string, max: number, param: string, what: string): void {
  if (!isValidBase64(base64)) throw GatewayError.invalidRequest(param, `The ${what} data is not valid base64.`);
  const size = decodedByteLength(base64);
  if (size > max) {
    throw GatewayError.invalidRequest(param, `The ${what} is ${size} bytes; Bedrock accepts at most ${max} bytes per ${what}.`);
  }
}

/**
 * Bedrock document names allow only ASCII alphanumerics, single spaces, hyphens, parentheses and square brackets,
 * up to 200 characters. The extension is dropped (the format carries it); other characters become spaces.
 */
export function sanitizeDocumentName(filename: string): string {
  const stem = filename.replace(/\.[A-Za-z0-9]{1,10}$/, "");
  return stem
    .replace(/[^A-Za-z0-9\-()[\] ]/g, " ")
    .replace(/ +/g, " ")
    .trim()
    .slice(0, MAX_DOCUMENT_NAME)
    .trim();
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let k = 2; used.has(name); k++) {
    const suffix = ` (${k})`;
    name = base.slice(0, MAX_DOCUMENT_NAME - suffix.length).trimEnd() + suffix;
  }
  used.add(name);
  return name;
}
