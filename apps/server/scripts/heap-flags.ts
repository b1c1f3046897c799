/**
 * Prints the node flags for the container's memory limit (see src/heap-limit.ts), for the
 * image's start command: `node $(node dist/heap-flags.js) dist/main.js`. Nothing without a
 * limit. `process.constrainedMemory()` reads the cgroup's limit (Node 19.6+).
 */
import { heapFlags } from "../src/heap-limit";

const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
process.stdout.write(heapFlags(limit).join(" "));
