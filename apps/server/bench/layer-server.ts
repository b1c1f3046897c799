/**
 * The service with a chosen HTTP layer, for `pnpm bench --layers`: HTTP_LAYER=node (today's
 * listener), hono or fastify. Everything but the listener is the real service.
 */
import { loadSettingsFromProcess } from "@usersvc/config";
import { createApp, type ListenerFactory } from "../src/app";
import { createRequestListener } from "../src/http/listener";
import { createLogger } from "../src/logger";
import { createFastifyListener } from "./layers/fastify";
import { createHonoListener } from "./layers/hono";

const layers: Record<string, ListenerFactory> = {
  node: createRequestListener,
  hono: createHonoListener,
  fastify: createFastifyListener,
};
const layer = process.env.HTTP_LAYER ?? "node";
const createListener = layers[layer];
if (!createListener) throw new Error(`HTTP_LAYER must be one of ${Object.keys(layers).join(", ")}`);
const settings = loadSettingsFromProcess();
const logger = createLogger({ level: settings.logLevel, pretty: false });
const app = await createApp(settings, logger, { createListener });
await app.listen({ worker: false });
const stop = () => void app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
