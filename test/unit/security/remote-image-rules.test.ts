/** The pure rules behind remote image fetching: which addresses are public, which URLs and answers are accepted. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import { MAX_IMAGES } from "../../../src/translate/content-parts";
import { ChatCompletionRequestSchema } from "../../../src/translate/openai-types";
import {
  type AddressKind,
  assertPublicAddresses,
  checkImageBytes,
  classifyAddress,
  imageMediaType,
  parseIPv4,
  parseIPv6,
  parseRemoteImageUrl,
  RemoteImageRefusal,
  resolveRemoteImages,
} from "../../../src/translate/remote-images";

describe("classifyAddress", () => {
  it.each<[string, AddressKind | null]>([
    // IPv4 public
    ["93.184.215.14", "public"],
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.0", "public"],
    ["169.253.255.255", "public"],
    ["192.167.255.255", "public"],
    ["223.255.255.255", "public"],
    ["11.0.0.1", "public"],
    // loopback, in every spelling inet_aton and the URL parser accept
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["127.1", "loopback"],
    ["127.0.1", "loopback"],
    ["2130706433", "loopback"],
    ["0x7f000001", "loopback"],
    ["0X7F000001", "loopback"],
    ["0177.0.0.1", "loopback"],
    ["0x7f.0.0.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["017700000001", "loopback"],
    ["127.0.0.1.", "loopback"],
    // this network
    ["0.0.0.0", "unspecified"],
    ["0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    // RFC 1918
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["012.1.2.3", "private"],
    ["167772161", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["192.168.255.255", "private"],
    ["0xc0a80001", "private"],
    // shared address space
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["100.100.100.200", "cgnat"],
    // link-local and metadata
    ["169.254.0.1", "link-local"],
    ["169.254.169.123", "link-local"],
    ["169.254.169.254", "metadata"],
    ["2852039166", "metadata"],
    ["0xa9fea9fe", "metadata"],
    ["0251.0376.0251.0376", "metadata"],
    ["169.254.43518", "metadata"],
    ["169.254.170.2", "metadata"],
    ["169.254.170.23", "metadata"],
    ["168.63.129.16", "metadata"],
    // other special-purpose ranges
    ["192.0.0.8", "reserved"],
    ["192.0.0.192", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["192.88.99.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["198.19.255.255", "reserved"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.254", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["4294967295", "broadcast"],
    // IPv6
    ["2606:4700:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["[2606:4700:4700::1111]", "public"],
    ["::", "unspecified"],
    ["0:0:0:0:0:0:0:0", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:127.0.0.1", "loopback"],
    ["0:0:0:0:0:ffff:127.0.0.1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["::7f00:1", "loopback"],
    ["::169.254.169.254", "metadata"],
    ["::8.8.8.8", "public"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["64:ff9b::10.1.2.3", "private"],
    ["64:ff9b::192.168.1.1", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    ["64:ff9b:1::1", "private"],
    ["2002:7f00:1::", "reserved"],
    ["2002:a9fe:a9fe::1", "reserved"],
    ["2002:808:808::1", "public"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001::1", "reserved"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
    ["100::1", "reserved"],
    ["fc00::1", "unique-local"],
    ["fd00::1", "unique-local"],
    ["fdff:ffff::1", "unique-local"],
    ["fd00:ec2::254", "metadata"],
    ["FD00:EC2::254", "metadata"],
    ["fd00:ec2:0:0:0:0:0:254", "metadata"],
    ["fd00:ec2::23", "metadata"],
    ["fd00:ec2::253", "unique-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["ff00::", "multicast"],
    ["4000::1", "reserved"],
    ["1::", "reserved"],
    // not addresses: host names go to the resolver, and its answers are classified
    ["images.example.com", null],
    ["localhost", null],
    ["", null],
    ["1.2.3.4.5", null],
    ["256.0.0.1", null],
    ["127.0.0.256", null],
    ["4294967296", null],
    ["08.0.0.1", null],
    ["0x", "unspecified"],
    ["1.2.3.-1", null],
    ["::1::", null],
    [":::1", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["12345::", null],
    ["::ffff:256.0.0.1", null],
  ])("%s → %s", (text, kind) => {
    expect(classifyAddress(text)).toBe(kind);
  });
});

describe("address parsers", () => {
  it.each([
    ["1.2.3.4", 0x01020304],
    ["1.2.772", 0x01020304],
    ["1.131844", 0x01020304],
    ["16909060", 0x01020304],
    ["0x01020304", 0x01020304],
    ["01.02.03.04", 0x01020304],
  ])("parseIPv4(%s)", (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["1::", [1, 0, 0, 0, 0, 0, 0, 0]],
    ["1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0]],
    ["::ffff:1.2.3.4", [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
    ["fd00:ec2::254", [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
  ])("parseIPv6(%s)", (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it("the URL parser and classifyAddress agree on every numeric spelling of a host", () => {
    for (const spelling of ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "[::ffff:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]"]) {
      const host = new URL(`https://${spelling}/x.png`).hostname;
      expect(classifyAddress(host.replace(/^\[|\]$/g, "")), spelling).toBe("loopback");
    }
  });
});

describe("assertPublicAddresses", () => {
  it("accepts only answers that are all public, and never repeats the address", () => {
    expect(() => assertPublicAddresses(["8.8.8.8", "2606:4700:4700::1111"], "its host name")).not.toThrow();
    for (const [addresses, phrase] of [
      [["8.8.8.8", "127.0.0.1"], "loopback"],
      [["169.254.169.254"], "metadata"],
      [["10.0.0.5"], "private network"],
      [["fd00:ec2::254"], "metadata"],
      [[], "has no address"],
      [["not-an-ip"], "not an IP address"],
    ] as const) {
      const err = catchRefusal(() => assertPublicAddresses(addresses, "its host name"));
      expect(err.reason).toContain(phrase);
      for (const a of addresses) expect(err.reason).not.toContain(a);
    }
  });
});

describe("parseRemoteImageUrl", () => {
  it.each([
    ["https://images.example.com/cat.png", { host: "images.example.com", port: 443, literal: false }],
    ["https://images.example.com:8443/cat.png?v=1", { host: "images.example.com", port: 8443, literal: false }],
    ["https://8.8.8.8/cat.png", { host: "8.8.8.8", port: 443, literal: true }],
    ["https://[2606:4700:4700::1111]/cat.png", { host: "2606:4700:4700::1111", port: 443, literal: true }],
  ])("accepts %s", (url, expected) => {
    expect(parseRemoteImageUrl(url)).toMatchObject(expected);
  });

  it.each([
    ["http://images.example.com/cat.png", "only https://"],
    ["HTTP://images.example.com/cat.png", "only https://"],
    ["https://user:pw@images.example.com/cat.png", "credentials"],
    ["https://127.0.0.1/cat.png", "loopback"],
    ["https://127.1/cat.png", "loopback"],
    ["https://2130706433/cat.png", "loopback"],
    ["https://0x7f000001/cat.png", "loopback"],
    ["https://0177.0.0.1/cat.png", "loopback"],
    ["https://[::1]/cat.png", "loopback"],
    ["https://[::ffff:127.0.0.1]/cat.png", "loopback"],
    ["https://[::ffff:169.254.169.254]/latest/meta-data/", "metadata"],
    ["https://169.254.169.254/latest/meta-data/iam/security-credentials/", "metadata"],
    ["https://[fd00:ec2::254]/latest/meta-data/", "metadata"],
    ["https://[64:ff9b::a00:1]/x.png", "private network"],
    ["https://10.0.0.1/x.png", "private network"],
    ["https://100.64.1.1/x.png", "carrier-grade NAT"],
    ["https://[fe80::1]/x.png", "link-local"],
    ["https://[ff02::1]/x.png", "multicast"],
    ["https://0.0.0.0/x.png", "unspecified"],
    ["https://[::]/x.png", "unspecified"],
    ["https://", "not valid"],
    ["https://exa mple.com/x.png", "not valid"],
  ])("refuses %s", (url, phrase) => {
    expect(catchRefusal(() => parseRemoteImageUrl(url)).reason).toContain(phrase);
  });
});

describe("answers", () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
  const GIF = new TextEncoder().encode("GIF89a....");
  const WEBP = new TextEncoder().encode("RIFF\x10\0\0\0WEBPVP8 ");

  it.each([
    ["image/png", "image/png"],
    ["IMAGE/PNG; charset=binary", "image/png"],
    ["image/jpeg", "image/jpeg"],
    ["image/jpg", "image/jpeg"],
    ["image/gif", "image/gif"],
    ["image/webp", "image/webp"],
  ])("content type %s → %s", (header, media) => {
    expect(imageMediaType(header)).toBe(media);
  });

  it.each([["text/html"], ["image/svg+xml"], ["image/tiff"], ["application/octet-stream"], [""], [undefined]])("refuses content type %s", (header) => {
    expect(catchRefusal(() => imageMediaType(header)).reason).toContain("not an image Bedrock takes");
  });

  it.each([
    ["image/png", PNG, true],
    ["image/jpeg", JPEG, true],
    ["image/gif", GIF, true],
    ["image/webp", WEBP, true],
    ["image/png", JPEG, false],
    ["image/jpeg", PNG, false],
    ["image/gif", new TextEncoder().encode("GIF90a"), false],
    ["image/webp", new TextEncoder().encode("RIFF\0\0\0\0WAVE"), false],
    ["image/png", new TextEncoder().encode("<html>"), false],
    ["image/png", new Uint8Array(0), false],
  ] as const)("bytes of %s: accepted=%s", (media, bytes, ok) => {
    if (ok) expect(() => checkImageBytes(media, bytes)).not.toThrow();
    else expect(catchRefusal(() => checkImageBytes(media, bytes)).reason).toMatch(/is not a .* image/);
  });
});

describe("resolveRemoteImages", () => {
  const req = (...contents: unknown[][]) => ChatCompletionRequestSchema.parse({ model: "m", messages: contents.map((content) => ({ role: "user", content })) });
  const img = (url: string) => ({ type: "image_url", image_url: { url } });

  it("a refusal is a 400 naming the part, with the reason", async () => {
    const r = req([{ type: "text", text: "hi" }], [img("data:image/png;base64,AAAA"), img("https://a.example/x.png")]);
    const err = await resolveRemoteImages(r, async () => {
      throw new RemoteImageRefusal("the server answered HTTP 404");
    }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, param: "messages[1].content[1].image_url.url", code: "remote_image_refused" });
    expect(err.message).toBe("The image at messages[1].content[1] was not fetched: the server answered HTTP 404.");
  });

  it("other failures are not dressed up as refusals", async () => {
    const r = req([img("https://a.example/x.png")]);
    const boom = new Error("bug");
    await expect(
      resolveRemoteImages(r, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it("refuses more images than Bedrock takes before fetching any", async () => {
    const r = req(Array.from({ length: MAX_IMAGES + 1 }, (_, k) => img(`https://a.example/${k}.png`)));
    let calls = 0;
    const err = await resolveRemoteImages(r, async () => {
      calls++;
      return { mediaType: "image/png", base64: "AAAA" };
    }).catch((e) => e);
    expect(err).toMatchObject({ status: 400, param: `messages[0].content[${MAX_IMAGES}]` });
    expect(calls).toBe(0);
  });

  it("fetches at most four at once and cancels the rest after the first refusal", async () => {
    const r = req(Array.from({ length: 12 }, (_, k) => img(`https://a.example/${k}.png`)));
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    const aborted: string[] = [];
    const err = await resolveRemoteImages(r, (url, signal) => {
      started.push(url);
      running++;
      peak = Math.max(peak, running);
      return new Promise((resolve, reject) => {
        if (url.endsWith("/2.png")) {
          setTimeout(() => {
            running--;
            reject(new RemoteImageRefusal("nope"));
          }, 5);
          return;
        }
        signal?.addEventListener("abort", () => {
          aborted.push(url);
          running--;
          reject(signal.reason);
        });
        setTimeout(() => resolve({ mediaType: "image/png", base64: "AAAA" }), 1000);
      });
    }).catch((e) => e);
    expect(err).toMatchObject({ param: "messages[0].content[2].image_url.url" });
    expect(peak).toBe(4);
    expect(started).toHaveLength(4);
    expect(aborted.sort()).toEqual(["https://a.example/0.png", "https://a.example/1.png", "https://a.example/3.png"]);
  });

  it("leaves a request without remote images untouched", async () => {
    const r = req([img("data:image/png;base64,AAAA"), { type: "text", text: "x" }]);
    expect(await resolveRemoteImages(r, async () => Promise.reject(new Error("not called")))).toBe(r);
  });
});

function catchRefusal(fn: () => unknown): RemoteImageRefusal {
  try {
    fn();
  } catch (err) {
    if (err instanceof RemoteImageRefusal) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}
