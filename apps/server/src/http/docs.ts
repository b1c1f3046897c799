import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Users service API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

const init = `window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  persistAuthorization: true,
  deepLinking: true,
});
`;

/** Files of the docs page, all served from the local swagger-ui-dist package (no CDN). */
const assets: Record<string, { type: string; load: () => Promise<Buffer | string> }> = {
  "": { type: "text/html; charset=utf-8", load: async () => page },
  "init.js": { type: "text/javascript; charset=utf-8", load: async () => init },
  "swagger-ui.css": {
    type: "text/css; charset=utf-8",
    load: () => readFile(path.join(swaggerDir, "swagger-ui.css")),
  },
  "swagger-ui-bundle.js": {
    type: "text/javascript; charset=utf-8",
    load: () => readFile(path.join(swaggerDir, "swagger-ui-bundle.js")),
  },
  "favicon-32x32.png": {
    type: "image/png",
    load: () => readFile(path.join(swaggerDir, "favicon-32x32.png")),
  },
};

const cache = new Map<string, Buffer | string>();

/** Serves `/api/docs` and its assets; returns false for names it does not know. */
export async function serveDocs(name: string, res: ServerResponse): Promise<boolean> {
  const asset = assets[name];
  if (!asset) return false;
  let body = cache.get(name);
  if (body === undefined) {
    body = await asset.load();
    cache.set(name, body);
  }
  res.statusCode = 200;
  res.setHeader("Content-Type", asset.type);
  res.setHeader("Cache-Control", name === "" ? "no-cache" : "public, max-age=3600");
  res.end(body);
  return true;
}
