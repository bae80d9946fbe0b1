/** `npm start`: the gateway on Node. Configuration from the environment (see README). */
import { bootGateway, configOrExit } from "./node/boot";
import { serveOnNode } from "./node/serve";

const config = configOrExit(process.env);
const gw = await bootGateway(config);
const { url } = await serveOnNode(gw, config.PORT, config.HOST);
gw.logger.info("bedrock-gateway listening", { url, database: gw.database.kind, databaseUrl: gw.database.kind === "pglite" ? gw.database.databaseUrl : undefined });
