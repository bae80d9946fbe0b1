# syntax=docker/dockerfile:1
# The gateway on Node (`node dist/node.js`), as a small non-root image.
#   docker build -t bedrock-gateway .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://… -e AWS_REGION=us-east-1 bedrock-gateway
# Without DATABASE_URL it keeps an embedded PGlite database in /data (mount a volume there).
# scripts/docker-mirror.mjs replays these steps without Docker; test/integration/docker.test.ts runs it.

# Build: all dependencies (esbuild), then bundle src/ into dist/. Scripts are skipped on install: `prepare`
# would build before the sources are copied, and no dependency needs its install script to build. So the
# `postinstall` step runs by hand after each `npm ci`: it patches postgres.js against a crash when a connection
# closes under a buffered write (porsager/postgres#1208; see scripts/patch-postgres.mjs).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/patch-postgres.mjs scripts/
RUN node scripts/patch-postgres.mjs
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src/ src/
COPY sim/ sim/
RUN npm run build

# Runtime: production dependencies only, the Node bundles (server and CLI), the SQL migrations.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY scripts/patch-postgres.mjs scripts/
RUN node scripts/patch-postgres.mjs
COPY --from=build /app/dist/node.js /app/dist/node.js.map /app/dist/cli.js /app/dist/cli.js.map ./dist/
COPY bin/ bin/
COPY migrations/ migrations/
# PGlite's folder when DATABASE_URL is not set; the only place the gateway writes.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# No curl in slim images: Node's own fetch. Uses PORT as the container sees it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: stops accepting, lets streams finish (SHUTDOWN_TIMEOUT_MS, default 25 s;
# keep Docker's stop timeout above it: `docker stop -t 30`), flushes usage rows, closes the database.
CMD ["node", "dist/node.js"]
