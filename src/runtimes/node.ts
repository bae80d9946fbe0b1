/** `npm start`: the gateway on Node. Configuration from the environment (see README). */
import { bootOrExit, configOrExit } from "./node/boot";
import { createNodeFetch } from "./node/http-fetch";
import { serveOnNode } from "./node/serve";

const config = configOrExit(process.env);
// Node: a keep-alive node:http pool to Bedrock (global fetch costs several times more CPU per call).
const gw = await bootOrExit(config, { fetch: createNodeFetch() });
const { url } = await serveOnNode(gw, config.PORT, config.HOST);
gw.logger.info("bedrock-gateway listening", {
  url,
  database: gw.database.kind,
  databaseUrl: gw.database.kind === "pglite" ? gw.database.databaseUrl : undefined,
});
