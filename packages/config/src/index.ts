export { type ApiKeyEntry, apiKeyNamePattern, digestApiKey, readApiKeys } from "./api-keys";
export { environments, envSchema, logLevels, splitKeys } from "./schema";
export {
  type Environment,
  type LoadSettingsOptions,
  loadSettings,
  loadSettingsFromProcess,
  type Settings,
  SettingsError,
  type SettingsProblem,
} from "./settings";
