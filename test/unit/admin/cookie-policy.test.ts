import { describe, expect, it } from "vitest";
import { cameOverHttps, cookieSecure, isLoopbackHost, requestOrigin } from "../../../src/admin/cookie-policy";

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["app.localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["[::1]", true],
    ["::1", true],
    ["localhost.example.com", false],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["gateway.example.com", false],
    ["127.0.0.1.nip.io", false],
  ])("%s → %s", (host, want) => expect(isLoopbackHost(host)).toBe(want));
});

describe("cookieSecure", () => {
  it.each([
    { url: "http://127.0.0.1:8080/admin/login", trustProxy: false, forwardedProto: null, secure: false },
    { url: "http://localhost:8080/admin/login", trustProxy: false, forwardedProto: null, secure: false },
    { url: "http://[::1]:8080/admin/login", trustProxy: false, forwardedProto: null, secure: false },
    { url: "https://127.0.0.1/admin/login", trustProxy: false, forwardedProto: null, secure: true },
    { url: "https://gw.example.com/admin/login", trustProxy: false, forwardedProto: null, secure: true },
    { url: "http://gw.example.com/admin/login", trustProxy: false, forwardedProto: null, secure: true },
    { url: "http://127.0.0.1/admin/login", trustProxy: true, forwardedProto: "https", secure: true },
    { url: "http://127.0.0.1/admin/login", trustProxy: true, forwardedProto: "HTTPS, http", secure: true },
    { url: "http://127.0.0.1/admin/login", trustProxy: false, forwardedProto: "https", secure: false },
    { url: "http://127.0.0.1/admin/login", trustProxy: true, forwardedProto: "http", secure: false },
  ])("$url (trust proxy $trustProxy, x-forwarded-proto $forwardedProto) → Secure $secure", ({ secure, ...o }) => {
    expect(cookieSecure(o)).toBe(secure);
  });

  it("a proxy's header counts only when trusted", () => {
    expect(cameOverHttps({ url: "http://10.0.0.2/", forwardedProto: "https", trustProxy: false })).toBe(false);
    expect(cameOverHttps({ url: "http://10.0.0.2/", forwardedProto: "https", trustProxy: true })).toBe(true);
  });
});

describe("requestOrigin", () => {
  it.each([
    [{ url: "http://127.0.0.1:8080/admin/keys", trustProxy: false }, "http://127.0.0.1:8080"],
    [{ url: "https://gw.example.com/admin/keys", trustProxy: false }, "https://gw.example.com"],
    [{ url: "http://10.0.0.5:8080/admin", trustProxy: true, forwardedProto: "https", forwardedHost: "llm.example.com" }, "https://llm.example.com"],
    [{ url: "http://10.0.0.5:8080/admin", trustProxy: false, forwardedProto: "https", forwardedHost: "evil.example" }, "http://10.0.0.5:8080"],
  ])("%o → %s", (o, want) => expect(requestOrigin(o)).toBe(want));
});
