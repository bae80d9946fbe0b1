/**
 * Remote image fetching against a real local HTTPS server (self-signed certificate made here). The server listens on
 * 127.0.0.1, which the rules themselves refuse, so the resolver is injected ("images.test" answers a public-looking
 * address) and `dial` maps every vetted address to the local server: any address the rules failed to refuse would
 * show up there as a connection.
 */
import { once } from "node:events";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { createApp } from "../../../src/app";
import { usageEvents } from "../../../src/db/schema";
import { createRemoteImageFetcher, type RemoteImageFetchOptions, type ResolvedAddress } from "../../../src/runtimes/node/remote-image-fetch";
import { RemoteImageRefusal } from "../../../src/translate/remote-images";
import { PNG_1PX } from "../../fixtures/media";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "../faults/app-harness";
import { selfSignedCertificate } from "./self-signed";

const PUBLIC = "93.184.215.14";
const PNG = Buffer.from(PNG_1PX.split(",")[1]!, "base64");
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const cert = selfSignedCertificate({ dns: ["images.test", "rebind.test", "slowdns.test"] });

type Seen = { path: string; host: string | undefined; servername: string | false | undefined };
let server: https.Server;
let port: number;
let connections = 0;
const seen: Seen[] = [];
const closed: string[] = [];

beforeAll(async () => {
  server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const path = req.url ?? "/";
    seen.push({ path, host: req.headers.host, servername: (req.socket as { servername?: string | false }).servername });
    res.once("close", () => closed.push(path));
    switch (path) {
      case "/cat.png":
        return res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length }).end(PNG);
      case "/cat.jpg":
        return res.writeHead(200, { "content-type": "image/jpeg" }).end(JPEG);
      case "/redirect":
        return res.writeHead(302, { location: "https://169.254.169.254/latest/meta-data/" }).end();
      case "/moved":
        return res.writeHead(301, { location: "https://images.test/cat.png" }).end();
      case "/page.html":
        return res.writeHead(200, { "content-type": "text/html" }).end("<html></html>");
      case "/no-type":
        return res.writeHead(200).end(PNG);
      case "/lying.png":
        return res.writeHead(200, { "content-type": "image/png" }).end(JPEG);
      case "/gzip.png":
        return res.writeHead(200, { "content-type": "image/png", "content-encoding": "gzip" }).end(PNG);
      case "/missing.png":
        return res.writeHead(404, { "content-type": "text/plain" }).end("no");
      case "/declared-big.png":
        res.writeHead(200, { "content-type": "image/png", "content-length": 10_000_000 });
        return res.write(PNG);
      case "/endless.png": {
        // No content-length: chunk after chunk until the client hangs up.
        res.writeHead(200, { "content-type": "image/png" });
        res.write(PNG);
        const chunk = Buffer.alloc(16 * 1024, 0x41);
        const timer = setInterval(() => res.write(chunk), 1);
        res.once("close", () => clearInterval(timer));
        return;
      }
      case "/slow-headers.png":
        return void setTimeout(() => res.writeHead(200, { "content-type": "image/png" }).end(PNG), 3_000);
      case "/slow-body.png":
        res.writeHead(200, { "content-type": "image/png" });
        res.write(PNG.subarray(0, 8));
        return;
      case "/cut.png":
        res.writeHead(200, { "content-type": "image/png", "content-length": 1000 });
        res.write(PNG);
        return void setTimeout(() => res.socket?.destroy(), 20);
      default:
        return res.writeHead(404).end();
    }
  });
  server.on("secureConnection", () => connections++);
  server.on("connection", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  connections = 0;
  seen.length = 0;
  closed.length = 0;
});

/** What the injected resolver answers for each name; `rebind.test` answers public first, loopback after. */
const answers: Record<string, ResolvedAddress[]> = {
  "images.test": [{ address: PUBLIC, family: 4 }],
  "other.test": [{ address: PUBLIC, family: 4 }],
  "v6.test": [{ address: "2606:4700:4700::1111", family: 6 }],
  "loopback.test": [{ address: "127.0.0.1", family: 4 }],
  "metadata.test": [{ address: "169.254.169.254", family: 4 }],
  "ecs.test": [{ address: "169.254.170.2", family: 4 }],
  "private.test": [{ address: "10.1.2.3", family: 4 }],
  "mixed.test": [
    { address: PUBLIC, family: 4 },
    { address: "192.168.1.10", family: 4 },
  ],
  "v6-metadata.test": [{ address: "fd00:ec2::254", family: 6 }],
  "v6-loopback.test": [{ address: "::1", family: 6 }],
  "mapped.test": [{ address: "::ffff:127.0.0.1", family: 6 }],
  "nat64.test": [{ address: "64:ff9b::a9fe:a9fe", family: 6 }],
  "ula.test": [{ address: "fd12:3456::1", family: 6 }],
  "cgnat.test": [{ address: "100.64.0.1", family: 4 }],
};

function fetcher(overrides: Partial<RemoteImageFetchOptions> = {}) {
  const lookups: string[] = [];
  const dialed: string[] = [];
  let rebindCalls = 0;
  const fetch = createRemoteImageFetcher({
    maxBytes: 64 * 1024,
    timeoutMs: 1_000,
    ca: cert.cert,
    resolve: async (host) => {
      lookups.push(host);
      if (host === "rebind.test") return [{ address: rebindCalls++ === 0 ? PUBLIC : "127.0.0.1", family: 4 }];
      if (host === "slowdns.test") return new Promise(() => {});
      const a = answers[host];
      if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return a;
    },
    dial: (vetted) => {
      dialed.push(vetted.address);
      return { host: "127.0.0.1", port };
    },
    ...overrides,
  });
  return { fetch, lookups, dialed };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  if (!(err instanceof RemoteImageRefusal)) throw new Error(`expected a refusal, got ${err}`);
  return err.reason;
}

describe("the Node remote image fetcher", () => {
  it("fetches a PNG over TLS from the vetted address, with the URL's name as SNI and Host", async () => {
    const f = fetcher();
    const out = await f.fetch("https://images.test/cat.png");
    expect(out).toEqual({ mediaType: "image/png", base64: PNG.toString("base64") });
    expect(f.lookups).toEqual(["images.test"]);
    expect(f.dialed).toEqual([PUBLIC]);
    expect(seen).toEqual([{ path: "/cat.png", host: "images.test", servername: "images.test" }]);
  });

  it("keeps the port in the Host header and takes IPv6 answers", async () => {
    const f = fetcher();
    await f.fetch("https://images.test:8443/cat.jpg");
    expect(seen[0]!.host).toBe("images.test:8443");
    const v6 = fetcher();
    const err = await refusal(v6.fetch("https://v6.test/cat.png"));
    // The certificate names images.test only: the TLS check runs against the URL's name, never the address.
    expect(err).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(v6.dialed).toEqual(["2606:4700:4700::1111"]);
  });

  it.each([
    ["loopback.test", "loopback"],
    ["metadata.test", "metadata"],
    ["ecs.test", "metadata"],
    ["private.test", "private network"],
    ["mixed.test", "private network"],
    ["v6-metadata.test", "metadata"],
    ["v6-loopback.test", "loopback"],
    ["mapped.test", "loopback"],
    ["nat64.test", "metadata"],
    ["ula.test", "unique-local"],
    ["cgnat.test", "carrier-grade NAT"],
  ])("refuses %s (%s) before any connection", async (host, phrase) => {
    const f = fetcher();
    const reason = await refusal(f.fetch(`https://${host}/cat.png`));
    expect(reason).toContain(phrase);
    expect(reason).not.toMatch(/\d+\.\d+\.\d+\.\d+|::/);
    expect(f.dialed).toEqual([]);
    expect(connections).toBe(0);
  });

  it.each([
    ["http://images.test/cat.png", "only https://"],
    ["https://127.0.0.1/cat.png", "loopback"],
    ["https://2130706433/cat.png", "loopback"],
    ["https://0x7f000001/cat.png", "loopback"],
    ["https://0177.0.0.1/cat.png", "loopback"],
    ["https://127.1/cat.png", "loopback"],
    ["https://[::1]/cat.png", "loopback"],
    ["https://[::ffff:127.0.0.1]/cat.png", "loopback"],
    ["https://169.254.169.254/latest/meta-data/", "metadata"],
    ["https://[fd00:ec2::254]/latest/meta-data/", "metadata"],
    ["https://user:secret@images.test/cat.png", "credentials"],
  ])("refuses %s without a lookup or a connection", async (url, phrase) => {
    const f = fetcher();
    expect(await refusal(f.fetch(url))).toContain(phrase);
    expect(f.lookups).toEqual([]);
    expect(f.dialed).toEqual([]);
    expect(connections).toBe(0);
  });

  it("resolves once: a name that rebinds to loopback after the check is still fetched from the checked address", async () => {
    const f = fetcher();
    await f.fetch("https://rebind.test/cat.png");
    expect(f.lookups).toEqual(["rebind.test"]);
    expect(f.dialed).toEqual([PUBLIC]);
    expect(connections).toBe(1);
  });

  it("with the system resolver, `localhost` is refused before any connection", async () => {
    const f = createRemoteImageFetcher({ maxBytes: 1024, timeoutMs: 1_000, ca: cert.cert });
    expect(await refusal(f(`https://localhost:${port}/cat.png`))).toContain("loopback");
    expect(connections).toBe(0);
  });

  it("an unknown host is a refusal", async () => {
    expect(await refusal(fetcher().fetch("https://nowhere.test/cat.png"))).toContain("could not be resolved");
  });

  it.each([
    ["/redirect", "redirect (HTTP 302)"],
    ["/moved", "redirect (HTTP 301)"],
    ["/missing.png", "HTTP 404"],
    ["/page.html", "'text/html' is not an image Bedrock takes"],
    ["/no-type", "is missing and is not an image"],
    ["/lying.png", "labelled image/png but is not a PNG image"],
    ["/gzip.png", "compressed (gzip)"],
    ["/declared-big.png", "larger than 65536 bytes"],
    ["/endless.png", "larger than 65536 bytes"],
    ["/cut.png", "closed before the image was complete"],
  ])("refuses the answer to %s", async (path, phrase) => {
    expect(await refusal(fetcher().fetch(`https://images.test${path}`))).toContain(phrase);
    expect(connections).toBe(1);
  });

  it("follows no redirect: only the first URL is requested", async () => {
    await refusal(fetcher().fetch("https://images.test/redirect"));
    expect(seen.map((s) => s.path)).toEqual(["/redirect"]);
  });

  it("stops reading at the size cap and closes the connection", async () => {
    const started = Date.now();
    await refusal(fetcher().fetch("https://images.test/endless.png"));
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect.poll(() => closed).toContain("/endless.png");
  });

  it.each([
    ["https://images.test/slow-headers.png", 1],
    ["https://images.test/slow-body.png", 1],
    ["https://slowdns.test/cat.png", 0],
  ])("gives up on %s after the time cap", async (url, conns) => {
    const started = Date.now();
    expect(await refusal(fetcher({ timeoutMs: 300 }).fetch(url))).toBe("it did not arrive within 300 ms");
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(connections).toBe(conns);
  });

  it("a client that goes away cancels the fetch with its own reason, not a refusal", async () => {
    const ac = new AbortController();
    const reason = new Error("client went away");
    setTimeout(() => ac.abort(reason), 100);
    await expect(fetcher({ timeoutMs: 5_000 }).fetch("https://images.test/slow-body.png", ac.signal)).rejects.toBe(reason);
    await expect.poll(() => closed).toContain("/slow-body.png");
  });

  it("a certificate for another name is refused", async () => {
    expect(await refusal(fetcher().fetch("https://other.test/cat.png"))).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("an untrusted certificate is refused", async () => {
    expect(await refusal(fetcher({ ca: undefined }).fetch("https://images.test/cat.png"))).toMatch(/could not be fetched \((SELF_SIGNED|DEPTH_ZERO)/);
  });
});

describe("remote images through the app", () => {
  let sim: Simulator;
  let t: TestDb;
  let h: Harness;
  let key: { id: string; key: string };
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    t = await openTestPostgres();
    h = createHarness({ db: t.db, bedrockUrl: sim.url, env: { ALLOW_REMOTE_IMAGES: "true" } });
    key = await h.newKey("remote-images");
  });
  afterAll(async () => {
    await h.settle();
    await sim.close();
    await t.close();
  });

  const ask = (url: string, model = "claude-sonnet-4-5") => ({
    model,
    messages: [
      { role: "user", content: "first" },
      { role: "assistant", content: "ok" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url } },
        ],
      },
    ],
  });
  const appWith = (env: Record<string, string>) => {
    const f = fetcher();
    const deps = { ...h.deps, config: { ...h.deps.config, ...env }, fetchRemoteImage: f.fetch };
    const app = createApp(deps as typeof h.deps);
    const post = (body: unknown) =>
      app.request("/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    return { post, f };
  };

  it("sends the fetched bytes to Bedrock as an image block", async () => {
    sim.reset();
    const { post } = appWith({});
    const res = await post(ask("https://images.test/cat.png"));
    expect(res.status).toBe(200);
    const sent = sim.requests().find((r) => r.operation === "Converse")!.body as { messages: { content: unknown[] }[] };
    expect(sent.messages[2]!.content[1]).toEqual({ image: { format: "png", source: { bytes: PNG.toString("base64") } } });
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain(`png (${PNG.length} bytes)`);
  });

  it.each([
    ["https://metadata.test/latest/meta-data/", "a cloud metadata or credentials address"],
    ["https://169.254.169.254/latest/meta-data/", "a cloud metadata or credentials address"],
    ["https://loopback.test/cat.png", "a loopback address"],
    ["http://images.test/cat.png", "only https://"],
    ["https://images.test/redirect", "redirect (HTTP 302)"],
    ["https://images.test/page.html", "not an image Bedrock takes"],
    ["https://images.test/endless.png", "larger than 65536 bytes"],
  ])("refuses %s with a 400 naming the part", async (url, phrase) => {
    sim.reset();
    const { post } = appWith({});
    const res = await post(ask(url));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string; code: string; message: string; type: string } };
    expect(error).toMatchObject({ type: "invalid_request_error", code: "remote_image_refused", param: "messages[2].content[1].image_url.url" });
    expect(error.message).toContain("The image at messages[2].content[1] was not fetched: ");
    expect(error.message).toContain(phrase);
    expect(sim.requests().filter((r) => r.operation === "Converse")).toHaveLength(0);
    await h.settle();
    const [row] = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id)).orderBy(desc(usageEvents.id)).limit(1);
    expect(row).toMatchObject({ httpStatus: 400, errorCode: "remote_image_refused" });
  });

  it("stays off unless ALLOW_REMOTE_IMAGES is on: a 400 as before, and nothing is fetched", async () => {
    const { post, f } = appWith({ ALLOW_REMOTE_IMAGES: false } as unknown as Record<string, string>);
    const res = await post(ask("https://images.test/cat.png"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("messages[2].content[1].image_url.url");
    expect(f.lookups).toEqual([]);
    expect(connections).toBe(0);
  });

  it("fetches nothing for a model that does not read images, or a model the key may not use", async () => {
    const { post, f } = appWith({});
    expect((await post(ask("https://images.test/cat.png", "us.meta.llama3-1-8b-instruct-v1:0"))).status).toBe(400);
    expect((await post(ask("https://images.test/cat.png", "no-such-model"))).status).toBe(404);
    expect(f.lookups).toEqual([]);
    expect(connections).toBe(0);
  });
});
