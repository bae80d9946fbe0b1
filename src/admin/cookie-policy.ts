// When the session cookie may go without `Secure`: only for plain http to a loopback address, where browsers
// would otherwise have no way to sign in to a gateway started on a laptop. Pure.

/** `localhost`, a name under `.localhost`, 127.0.0.0/8 or ::1 (RFC 6761 §6.3 reserves `localhost` for loopback). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export type RequestOrigin = {
  /** The request URL as the runtime saw it. */
  url: string;
  /** `x-forwarded-proto`, believed only with TRUST_PROXY. */
  forwardedProto?: string | null;
  trustProxy: boolean;
};

/** Whether the browser reached the gateway over HTTPS, directly or through a proxy the admin trusts. */
export function cameOverHttps(o: RequestOrigin): boolean {
  if (new URL(o.url).protocol === "https:") return true;
  // A chain of proxies appends, so the first value is what the client used (as with x-forwarded-for).
  const proto = o.forwardedProto?.split(",")[0]?.trim().toLowerCase();
  return o.trustProxy && proto === "https";
}

/** `Secure` unless the request is plain http on loopback. */
export function cookieSecure(o: RequestOrigin): boolean {
  if (cameOverHttps(o)) return true;
  return !isLoopbackHost(new URL(o.url).hostname);
}

/** The origin the browser used (`https://gw.example.com`), for the base URL shown with a new key. */
export function requestOrigin(o: RequestOrigin & { forwardedHost?: string | null }): string {
  const u = new URL(o.url);
  const host = o.trustProxy && o.forwardedHost ? o.forwardedHost.split(",")[0].trim() : u.host;
  return `${cameOverHttps(o) ? "https" : u.protocol.replace(":", "")}://${host}`;
}
