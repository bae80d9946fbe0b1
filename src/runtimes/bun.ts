/** `npm run start:bun`: the gateway on Bun's own HTTP server. Same configuration and boot as Node (see README). */
import { bootOrExit, configOrExit } from "./node/boot";
import { serveOnBun } from "./bun/serve";

const config = configOrExit(process.env);
const gw = await bootOrExit(config);
const { url } = serveOnBun(gw, config.PORT, config.HOST);
gw.logger.info("bedrock-gateway listening", {
  url,
  runtime: "bun",
  database: gw.database.kind,
  databaseUrl: gw.database.kind === "pglite" ? gw.database.databaseUrl : undefined,
});
