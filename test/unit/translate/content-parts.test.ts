import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, sanitizeDocumentName } from "../../../src/translate/content-parts";
import { CLAUDE, PDF_B64, PLAIN, PNG_B64, model, translate, translateError, user } from "./helpers";

const image = (url: string) => ({ type: "image_url", image_url: { url, detail: "high" } });
const file = (f: Record<string, unknown>) => ({ type: "file", file: f });
const withText = (...parts: unknown[]) => [user([{ type: "text", text: "look" }, ...parts])];
const firstTurn = (parts: unknown[], m = CLAUDE) => translate({ messages: withText(...parts) }, m).body.messages[0]!.content;

/** Base64 of exactly `bytes` bytes ("A" decodes to zero bits). */
const b64OfSize = (bytes: number) => {
  const full = Math.floor(bytes / 3);
  const rest = bytes % 3;
  return "A".repeat(full * 4) + (rest === 1 ? "AA==" : rest === 2 ? "AAA=" : "");
};

describe("images", () => {
  it.each([
    ["png", "image/png", "png"],
    ["jpeg", "image/jpeg", "jpeg"],
    ["jpg alias", "image/jpg", "jpeg"],
    ["gif", "image/gif", "gif"],
    ["webp", "image/webp", "webp"],
  ])("data URL %s → image block with the base64 as sent", (_name, mime, format) => {
    expect(firstTurn([image(`data:${mime};base64,${PNG_B64}`)])).toEqual([{ text: "look" }, { image: { format, source: { bytes: PNG_B64 } } }]);
  });

  it("s3:// → s3Location", () => {
    expect(firstTurn([image("s3://bucket/path/cat.JPG")])[1]).toEqual({
      image: { format: "jpeg", source: { s3Location: { uri: "s3://bucket/path/cat.JPG" } } },
    });
  });

  it("exactly the size limit is accepted", () => {
    expect(firstTurn([image(`data:image/png;base64,${b64OfSize(MAX_IMAGE_BYTES)}`)])).toHaveLength(2);
  });

  it.each([
    ["remote https URL", "https://example.com/cat.png", /not fetched by this gateway.*data URL/],
    ["remote http URL", "http://example.com/cat.png", /not fetched/],
    ["invalid base64", "data:image/png;base64,iVBOR w0KGgo=", /not valid base64/],
    ["empty base64", "data:image/png;base64,", /not valid base64/],
    ["unsupported MIME", `data:image/bmp;base64,${PNG_B64}`, /Unsupported image type 'image\/bmp'/],
    ["not base64 encoded", "data:image/png,rawbytes", /base64 data URL/],
    ["other scheme", "ftp://x/y.png", /base64 data URL/],
    ["s3 without image extension", "s3://bucket/key.tiff", /s3:\/\//],
    ["too large", `data:image/png;base64,${b64OfSize(MAX_IMAGE_BYTES + 1)}`, /at most 3932160 bytes/],
  ])("%s → 400 on the url", (_name, url, message) => {
    const err = translateError({ messages: withText(image(url)) }, CLAUDE);
    expect(err).toMatchObject({ status: 400, param: "messages[0].content[1].image_url.url" });
    expect(err.message).toMatch(message);
  });

  it("model without vision → 400 naming the part", () => {
    const err = translateError({ messages: withText(image(`data:image/png;base64,${PNG_B64}`)) }, PLAIN);
    expect(err).toMatchObject({ status: 400, param: "messages[0].content[1]" });
    expect(err.message).toMatch(/does not accept images/);
  });

  it("more than 20 images in the request → 400", () => {
    const img = image(`data:image/png;base64,${PNG_B64}`);
    const messages = [user(Array(10).fill(img)), { role: "assistant", content: "ok" }, user(Array(11).fill(img))];
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ status: 400, param: "messages[2].content[10]" });
    messages[2] = user(Array(10).fill(img));
    expect(() => translate({ messages }, CLAUDE)).not.toThrow();
  });
});

describe("documents", () => {
  it.each([
    ["pdf by MIME", { file_data: `data:application/pdf;base64,${PDF_B64}`, filename: "Q3 report.pdf" }, "pdf", "Q3 report"],
    [
      "docx by MIME",
      { file_data: `data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,${PDF_B64}`, filename: "a.docx" },
      "docx",
      "a",
    ],
    ["xlsx by extension when MIME is generic", { file_data: `data:application/octet-stream;base64,${PDF_B64}`, filename: "sheet.xlsx" }, "xlsx", "sheet"],
    ["md by MIME", { file_data: `data:text/markdown;base64,${PDF_B64}`, filename: "notes.md" }, "md", "notes"],
    ["csv, html, txt by extension", { file_data: `data:;base64,${PDF_B64}`, filename: "t.htm" }, "html", "t"],
    ["bare base64 with filename", { file_data: PDF_B64, filename: "data.csv" }, "csv", "data"],
    ["no filename → document-n", { file_data: `data:text/plain;base64,${PDF_B64}` }, "txt", "document-1"],
    ["name sanitized", { file_data: `data:application/pdf;base64,${PDF_B64}`, filename: "my_file   v2 (final)!.pdf" }, "pdf", "my file v2 (final)"],
  ])("%s", (_name, f, format, name) => {
    expect(firstTurn([file(f)])[1]).toEqual({ document: { format, name, source: { bytes: (f.file_data as string).replace(/^data:[^,]*,/, "") } } });
  });

  it("names are unique within the request", () => {
    const f = file({ file_data: `data:application/pdf;base64,${PDF_B64}`, filename: "a.pdf" });
    const names = firstTurn([f, f, file({ file_data: `data:application/pdf;base64,${PDF_B64}`, filename: "a (2).pdf" })])
      .slice(1)
      .map((b) => (b as { document: { name: string } }).document.name);
    expect(names).toEqual(["a", "a (2)", "a (2) (2)"]);
  });

  it.each([
    ["file_id", { file_id: "file-abc" }, "messages[0].content[1].file.file_id", /Files API/],
    ["missing file_data", { filename: "a.pdf" }, "messages[0].content[1].file.file_data", /required/],
    [
      "unknown type",
      { file_data: `data:application/zip;base64,${PDF_B64}`, filename: "a.zip" },
      "messages[0].content[1].file.file_data",
      /Unsupported document type 'application\/zip'/,
    ],
    ["bad base64", { file_data: "data:application/pdf;base64,%%%", filename: "a.pdf" }, "messages[0].content[1].file.file_data", /not valid base64/],
    ["non-base64 data URL", { file_data: "data:text/plain,hello", filename: "a.txt" }, "messages[0].content[1].file.file_data", /base64 data URL/],
    [
      "too large",
      { file_data: `data:application/pdf;base64,${b64OfSize(MAX_DOCUMENT_BYTES + 1)}` },
      "messages[0].content[1].file.file_data",
      /at most 4718592 bytes/,
    ],
  ])("%s → 400", (_name, f, param, message) => {
    const err = translateError({ messages: withText(file(f)) }, CLAUDE);
    expect(err).toMatchObject({ status: 400, param });
    expect(err.message).toMatch(message);
  });

  it("more than 5 documents → 400", () => {
    const f = file({ file_data: `data:application/pdf;base64,${PDF_B64}` });
    expect(translateError({ messages: withText(f, f, f, f, f, f) }, CLAUDE)).toMatchObject({ param: "messages[0].content[6]" });
  });

  it("model without documents → 400 naming the part", () => {
    const m = model({ vision: true, documents: false });
    expect(translateError({ messages: withText(file({ file_data: `data:application/pdf;base64,${PDF_B64}` })) }, m)).toMatchObject({
      param: "messages[0].content[1]",
    });
  });
});

describe("sanitizeDocumentName", () => {
  it.each([
    ["report.pdf", "report"],
    ["a_b.c.docx", "a b c"],
    ["  many    spaces  .txt", "many spaces"],
    ["[draft] (v2) - notes.md", "[draft] (v2) - notes"],
    ["résumé.pdf", "r sum"],
    ["../../etc/passwd", "etc passwd"],
    ["!!!.pdf", ""],
    [`${"x".repeat(300)}.pdf`, "x".repeat(200)],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeDocumentName(input)).toBe(expected);
  });
});
