import { loadSettingsFromProcess, type Settings, SettingsError } from "@usersvc/config";
import { type App, createApp } from "./app";
import { createLogger } from "./logger";

/** Entry point: parse settings (or explain what is wrong), build the app, serve until a signal. */
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
  if (settings.auth.disabled) {
    logger.warn("AUTH_DISABLED=true: every route is open without an API key. Development only!");
  }
  let app: App | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    (app ? app.close() : Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  app = await createApp(settings, logger);
  if (stopping) return;
  const url = await app.listen();
  logger.info({ url, docs: `${url}/api/docs`, environment: settings.environment }, "users service listening");
}

main().catch((error: unknown) => {
  process.stderr.write(
    `users service failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
