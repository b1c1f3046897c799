import { loadSettingsFromProcess, type Settings, SettingsError } from "@usersvc/config";
import { createApp } from "./app";
import { createContainer } from "./container";
import { createLogger } from "./logger";

/**
 * Entry point: parse settings (or explain what is wrong), then serve according to
 * PROCESS_ROLE (API and email worker, API only, or worker only) until SIGTERM/SIGINT, and
 * stop gracefully: no new connections, in-flight requests answered, exit 0.
 */
async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettingsFromProcess();
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: settings.logLevel, pretty: settings.environment === "development" });
  if (settings.apiKeys.disabled) {
    logger.warn("AUTH_DISABLED=true: every route is open without an API key. Development only!");
  }
  const plainKeys = settings.apiKeys.keys.filter((key) => key.legacy).map((key) => key.name);
  if (settings.environment === "production" && settings.role !== "worker" && plainKeys.length > 0) {
    logger.warn(
      { apiKeys: plainKeys },
      "API_KEYS holds plain keys: each has every scope and sits in clear in the environment. Replace them with named, scoped keys (pnpm --filter @usersvc/server api-key create --name <caller> --scopes <scopes>; docs/configuration.md#api-keys)",
    );
  }

  let close: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    (close ? close() : Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  if (settings.role === "worker") {
    const container = await createContainer(settings, logger);
    close = () => container.close();
    if (stopping) return;
    container.startBackgroundWork();
    logger.info("users service email worker running (no HTTP)");
    return;
  }
  const app = await createApp(settings, logger);
  close = () => app.close();
  if (stopping) return;
  const url = await app.listen({ worker: settings.role === "all" });
  logger.info(
    { url, docs: `${url}/api/docs`, role: settings.role, environment: settings.environment },
    "users service listening",
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `users service failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
