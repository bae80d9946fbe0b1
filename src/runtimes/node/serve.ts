import { serve, type ServerType } from "@hono/node-server";
import type { Server } from "node:http";
import type { Gateway } from "./boot";
import { acceptH2c, type H2c } from "./h2c";
import { withNodeRequestFastPath } from "./request-fast-path";
import { drainGate, gracefulShutdown } from "./shutdown";

/** Serves the gateway on node:http (HTTP/1.1 and h2c on one port, see h2c.ts) and wires SIGTERM/SIGINT to the graceful drain. */
export async function serveOnNode(gw: Gateway, port: number, host: string): Promise<{ server: ServerType; url: string; stop: () => Promise<void> }> {
  // Bodies and abort signals read from node:http directly, not through a WHATWG Request (request-fast-path.ts).
  const gate = drainGate(withNodeRequestFastPath(gw.app.fetch));
  let h2: H2c | undefined;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: gate.fetch, port, hostname: host }, () => resolve(s));
    h2 = acceptH2c(s as Server, gate.fetch);
    s.once("error", reject);
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EADDRINUSE" && err.code !== "EACCES") throw err;
    console.error(`bedrock-gateway failed to start: cannot listen on ${host}:${port} (${err.code}). Set PORT (and HOST) to a free address.`);
    process.exit(1);
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;

  const http = server as Server;
  const stop = gracefulShutdown(
    gw,
    {
      drain: async () => {
        const closed = new Promise<void>((r) => http.close(() => r()));
        // HTTP/2 sessions get GOAWAY: open streams finish, then each session closes its connection.
        h2?.close();
        // Keep-alive connections with no request in flight would hold close() open.
        http.closeIdleConnections();
        const idle = setInterval(() => http.closeIdleConnections(), 250);
        await closed.finally(() => clearInterval(idle));
      },
      closeAll: () => {
        h2?.destroy();
        http.closeAllConnections();
      },
    },
    gate,
  );
  return { server, url, stop };
}
