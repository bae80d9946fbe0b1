// The bench's floor: a bare node:http pass-through proxy to UPSTREAM (the simulator), with keep-alive to it and
// nothing else (no auth, no translation, no signing, no usage row). Whatever it adds to direct is what any Node
// gateway pays for one more process and two more loopback hops on this machine; the gateway's own work is on top.
// A client that goes away cancels the upstream request, as a gateway must. Usage: UPSTREAM=http://… PORT=… node bench/proxy.mjs
import http from "node:http";

const upstream = new URL(process.env.UPSTREAM);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, agent },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      res.on("close", () => {
        if (!res.writableFinished) up.destroy();
      });
      up.end(Buffer.concat(chunks));
    });
  })
  .listen(Number(process.env.PORT), "127.0.0.1");
