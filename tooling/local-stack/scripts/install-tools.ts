/** Builds the pinned FerretDB and Mailpit into .tools/bin unless they are already there. */
import { ensureTool } from "../src/tools";

const log = (line: string) => process.stdout.write(`    ${line}\n`);
await ensureTool("ferretdb", log);
await ensureTool("mailpit", log);
