/**
 * `USERS_URL=http://127.0.0.1:8000 USERS_API_KEY=... MAILPIT_URL=http://127.0.0.1:8025 pnpm --filter @usersvc/examples rest-client`
 * (scripts/start.sh prints all three).
 */
import { activationPattern, codeFromMailpit } from "../mailpit";
import { restFlow } from "./flow";

const {
  USERS_URL = "http://127.0.0.1:8000",
  USERS_API_KEY = "",
  MAILPIT_URL = "http://127.0.0.1:8025",
} = process.env;
const steps = await restFlow({
  url: USERS_URL,
  apiKey: USERS_API_KEY,
  activationCode: (email) => codeFromMailpit(MAILPIT_URL, email, activationPattern),
});
console.log(steps.join("\n"));
