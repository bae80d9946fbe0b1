import type { Context } from "hono";

export const WARNING_HEADER = "x-gateway-warning";

/** Tells the client what the gateway changed or ignored, in one printable-ASCII header of bounded length. */
export function setWarnings(c: Context, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  c.header(
    WARNING_HEADER,
    warnings
      .join("; ")
      .replace(/[^\x20-\x7e]/g, "?")
      .slice(0, 1024),
  );
}
