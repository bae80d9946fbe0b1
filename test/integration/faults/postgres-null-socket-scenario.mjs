// Run as a child process by postgres-null-socket.test.ts (a crash must not take the test runner with it):
//   node postgres-null-socket-scenario.mjs <postgres package folder> <database url> <reserve|begin>
// Talks to Postgres through a node:net proxy, cuts the proxy's connections while a query is in flight on a pinned
// connection (sql.reserve(), or a transaction), then writes another small query on that connection: postgres.js
// 3.4.9 defers it to setImmediate(nextWrite) and calls socket.write on the closed connection's null socket there,
// an uncaughtException (this process exits 1 with the TypeError on stderr). Patched, the query rejects with
// CONNECTION_CLOSED; then the proxy is restored and the pool must answer again. Prints one JSON line on success.
import { createServer, Socket } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, databaseUrl, scenario] = process.argv.slice(2);
const { default: postgres } = await import(pathToFileURL(path.join(packageDir, "src", "index.js")).href);

const target = new URL(databaseUrl);
let down = false;
const clients = new Set();
let clientData = () => {};
const proxy = createServer((client) => {
  client.on("error", () => {});
  if (down) return client.destroy();
  const upstream = new Socket();
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  upstream.connect(Number(target.port || 5432), target.hostname);
  client.on("data", () => clientData());
  client.pipe(upstream);
  upstream.pipe(client);
  clients.add(client);
  client.on("close", () => clients.delete(client));
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const url = new URL(databaseUrl);
url.hostname = "127.0.0.1";
url.port = String(proxy.address().port);

const sql = postgres(url.toString(), { max: 2, onnotice: () => {}, connect_timeout: 3, backoff: 0.05, idle_timeout: 0 });
/** How a query settled: "resolved", its error's code, or "still pending" after `ms`. */
const codeOf = (p, ms = 5_000) => {
  let timer;
  return Promise.race([
    p.then(
      () => "resolved",
      (err) => err?.code ?? String(err),
    ),
    new Promise((resolve) => (timer = setTimeout(() => resolve("still pending"), ms))),
  ]).finally(() => clearTimeout(timer));
};
const nextClientWrite = () => new Promise((resolve) => (clientData = resolve));
/** The outage: every proxied connection cut (a FIN to the driver, the backend gone), new ones refused. */
const cut = () => {
  down = true;
  for (const c of clients) c.destroy();
};

const result = { scenario };
if (scenario === "reserve") {
  const reserved = await sql.reserve();
  await reserved`select 1 as one`;
  const sent = nextClientWrite();
  const inFlight = reserved`select pg_sleep(5)`.execute(); // queries are lazy: send it now
  await sent; // the query reached the proxy: it is in flight when the connection is cut
  cut();
  result.inFlight = await codeOf(inFlight);
  // The same pinned connection, now without a socket: a small write, deferred to setImmediate.
  result.next = await codeOf(reserved`select 2 as two`);
  result.again = await codeOf(reserved`select 3 as three`);
  reserved.release();
} else if (scenario === "begin") {
  const tx = sql.begin(async (tx) => {
    await tx`select 1 as one`;
    const sent = nextClientWrite();
    const inFlight = tx`select pg_sleep(5)`.execute(); // queries are lazy: send it now
    await sent;
    cut();
    await inFlight; // rejects: the transaction's scope then writes ROLLBACK on the same connection
  });
  result.transaction = await codeOf(tx);
} else if (scenario === "buffered") {
  // The socket closes while a small write waits for its immediate: closed() cancels the immediate. Unpatched, it
  // leaves nextWriteTimer set and the chunk buffered, so the reconnected connection never schedules a write again:
  // its StartupMessage sits behind the stale chunk until CONNECT_TIMEOUT, on every reconnect (a poisoned connection).
  // The driver's own socket option lets this process report the close at that exact moment.
  let last;
  const pinned = postgres(url.toString(), {
    max: 1,
    onnotice: () => {},
    connect_timeout: 2,
    backoff: 0.05,
    socket: () => (last = new Socket().connect(Number(url.port), url.hostname)),
  });
  await pinned`select 1 as one`;
  const socket = last;
  // Queued before the driver's setImmediate(nextWrite), so it runs first in the same check phase.
  setImmediate(() => {
    socket.destroy();
    socket.emit("close", false);
  });
  result.buffered = await codeOf(pinned`select 2 as two`);
  result.afterReconnect = await codeOf(pinned`select 3 as three`);
  await pinned.end({ timeout: 1 });
} else {
  throw new Error(`unknown scenario ${scenario}`);
}

down = false;
const restored = Date.now();
let answered = 0;
for (let i = 0; i < 50 && answered < 5; i++) {
  const code = await codeOf(sql`select 5 as five`, 2_000);
  if (code === "resolved") answered++;
  else {
    result.failedAfterRestore = [...(result.failedAfterRestore ?? []), code];
    await new Promise((r) => setTimeout(r, 50));
  }
}
result.answeredAfterRestore = answered;
result.restoreMs = Date.now() - restored;
await sql.end({ timeout: 1 });
for (const c of clients) c.destroy();
proxy.close();
console.log(JSON.stringify(result));
