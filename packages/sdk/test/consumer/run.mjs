import { run } from "./out/usage.js";

const [url, apiKey] = process.argv.slice(2);
console.log((await run(url, apiKey)).join(" "));
