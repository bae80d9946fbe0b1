// One PGlite instance is one Postgres session. pglite-socket runs each wire message of its client under
// PGlite's query mutex only, so without this guard the gateway's own queries (through drizzle, which
// take the transaction mutex) can land between a socket client's BEGIN and COMMIT, or between its
// Parse and Sync and replace its unnamed statement. The guard makes a socket client hold PGlite's
// transaction mutex from its first message until it is back at a boundary: after a Sync or simple
// Query with no transaction block open.
import type { PGlite } from "@electric-sql/pglite";

const SIMPLE_QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'
const STARTUP = 0x00; // startup packets begin with a length whose first byte is 0

/** If a client stops mid-way through an extended-protocol sequence, give the session back after this long. */
const STUCK_MS = 10_000;

export type SharedPglite = {
  /** Pass this to PGLiteSocketServer instead of the PGlite instance. */
  forSocket: PGlite;
  /** Rolls back and releases anything a socket client left behind (call after stopping the server). */
  reset(): Promise<void>;
};

const NOTIFICATION = 0x41; // 'A': NotificationResponse

/**
 * Finds NotificationResponse messages in a backend's output. PGlite is one session, so a NOTIFY committed by a
 * socket client (the CLI revoking a key) is delivered into that client's stream, not to the gateway's own LISTEN:
 * the guard reads it there and hands it on. Chunks may split messages; the remainder is carried to the next chunk.
 */
export function notificationScanner(onNotification: (channel: string, payload: string) => void) {
  let pending = new Uint8Array(0);
  const decoder = new TextDecoder();
  return (chunk: Uint8Array) => {
    let buf = chunk;
    if (pending.length > 0) {
      buf = new Uint8Array(pending.length + chunk.length);
      buf.set(pending);
      buf.set(chunk, pending.length);
    }
    let i = 0;
    while (buf.length - i >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset + i + 1, 4).getInt32(0);
      if (buf.length - i < 1 + len) break;
      if (buf[i] === NOTIFICATION) {
        const body = buf.subarray(i + 9, i + 1 + len);
        const nul = body.indexOf(0);
        const channel = decoder.decode(body.subarray(0, nul));
        const payload = decoder.decode(body.subarray(nul + 1, body.indexOf(0, nul + 1)));
        onNotification(channel, payload);
      }
      i += 1 + len;
    }
    pending = buf.slice(i);
  };
}

export function shareWithSocketClients(pg: PGlite, stuckMs = STUCK_MS, onNotification?: (channel: string, payload: string) => void): SharedPglite {
  let release: (() => void) | undefined;
  let lastType = STARTUP;
  let stuck: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const acquire = () =>
    new Promise<void>((acquired) => {
      void pg._runExclusiveTransaction(
        () =>
          new Promise<void>((done) => {
            release = () => {
              release = undefined;
              done();
            };
            acquired();
          }),
      );
    });

  const settle = () => {
    clearTimeout(stuck);
    if (!release || pg.isInTransaction()) return;
    if (lastType === SIMPLE_QUERY || lastType === SYNC || lastType === TERMINATE || lastType === STARTUP) release();
    else stuck = setTimeout(() => release?.(), stuckMs).unref();
  };

  // The socket server calls runExclusive one message at a time; the chain also orders its ROLLBACK on disconnect.
  const runExclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(async () => {
      if (!release) await acquire();
      try {
        return await pg._runExclusiveQuery(fn);
      } finally {
        settle();
      }
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const execProtocolRawStream: PGlite["execProtocolRawStream"] = (message, options) => {
    lastType = message[0] ?? STARTUP;
    if (!onNotification || !options?.onRawData) return pg.execProtocolRawStream(message, options);
    const scan = notificationScanner(onNotification);
    const forward = options.onRawData;
    return pg.execProtocolRawStream(message, {
      ...options,
      onRawData: (data: Uint8Array) => {
        scan(data);
        forward(data);
      },
    });
  };

  // Only used by pglite-socket to roll back the transaction of a client that disconnected.
  const exec = async (query: string) => {
    await runExclusive(() => execProtocolRawStream(simpleQuery(query), { onRawData: () => {} }));
    return [];
  };

  const forSocket = {
    get waitReady() {
      return pg.waitReady;
    },
    isInTransaction: () => pg.isInTransaction(),
    runExclusive,
    execProtocolRawStream,
    exec,
  } as unknown as PGlite;

  return {
    forSocket,
    async reset() {
      if (!release) return;
      if (pg.isInTransaction()) await exec("ROLLBACK");
      else {
        lastType = SYNC;
        settle();
      }
    },
  };
}

function simpleQuery(text: string): Uint8Array {
  const body = new TextEncoder().encode(`${text}\0`);
  const msg = new Uint8Array(5 + body.length);
  msg[0] = SIMPLE_QUERY;
  new DataView(msg.buffer).setInt32(1, 4 + body.length);
  msg.set(body, 5);
  return msg;
}
