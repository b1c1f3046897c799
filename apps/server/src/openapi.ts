import { domainErrorCodes } from "@usersvc/core";
import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { transportErrorCodes } from "./error-codes";
import { operationExamples } from "./openapi-examples";
import { operationLinks } from "./openapi-links";
import { documentScopes } from "./openapi-scopes";
import type { AppRouter } from "./router";
import { apiScopes, metaOf, type RouteMeta } from "./trpc";

type SchemaObject = NonNullable<NonNullable<OpenAPIObject["components"]>["schemas"]>[string];

const errorSchema: SchemaObject = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: {
      type: "string",
      enum: [...domainErrorCodes, ...transportErrorCodes],
      description: "Stable machine-readable code; switch on this, not on the message.",
    },
    message: { type: "string", description: "What went wrong and what to fix." },
    issues: {
      type: "array",
      description: "Field problems (VALIDATION_ERROR); zxcvbn's warning and suggestions (WEAK_PASSWORD).",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string" }, message: { type: "string" } },
      },
    },
    required_scope: {
      type: "string",
      enum: [...apiScopes],
      description: "INSUFFICIENT_SCOPE only: the scope the API key lacks.",
    },
    request_id: { type: "string", description: "Echo of X-Request-Id, to find the request in the logs." },
  },
};

/**
 * The OpenAPI 3 document of the REST API, generated from the router's meta and zod schemas.
 * Error responses are rewritten to the body our REST adapter really sends (see rest.ts).
 */
export function createOpenApiDocument(router: AppRouter, version: string): OpenAPIObject {
  const document = generateOpenApiDocument(router, {
    title: "Users service",
    description:
      "Registration with emailed activation codes, login checks, password recovery, TOTP MFA, user lookup and deletion. Every route except health, liveness, this document and /api/docs needs `Authorization: Bearer <API key>` with a key holding the route's scope (`x-required-scope`; users:read, users:write, auth or admin): otherwise 401 INVALID_API_KEY, or 403 INSUFFICIENT_SCOPE naming the missing scope.",
    version,
    baseUrl: "/api",
    securitySchemes: {
      bearerAuth: {
        type: "http",
        scheme: "bearer",
        description:
          "An API key (API_KEYS, API_KEYS_FILE); the scopes an operation needs are its security requirement's roles",
      },
    },
  });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: errorSchema },
  };
  const statuses = new Map<string, RouteMeta>();
  const procedures: Record<string, unknown> = router._def.procedures;
  for (const procedure of Object.values(procedures)) {
    const meta = metaOf(procedure);
    if (meta?.openapi) statuses.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, meta);
  }
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      const responses =
        (operation as { responses?: Record<string, { description?: string; content?: unknown }> })
          .responses ?? {};
      const meta = statuses.get(`${method} ${path}`);
      const described = meta?.openapi?.errorResponses;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || response.content === undefined) continue;
        // trpc-to-openapi 3.3 hands every route the same response object per status, with
        // the first route's description: give each route its own, from its meta.
        responses[status] = {
          ...response,
          description:
            (described && !Array.isArray(described) ? described[Number(status)] : undefined) ??
            response.description,
          content:
            Number(status) === meta?.outputAlsoOn
              ? responses["200"]?.content
              : { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        };
      }
      if ((operation as { requestBody?: unknown }).requestBody !== undefined) {
        const error = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
        responses["413"] ??= {
          description: "PAYLOAD_TOO_LARGE: the body is over BODY_LIMIT_BYTES",
          content: error,
        };
        responses["415"] ??= {
          description: "UNSUPPORTED_MEDIA_TYPE: send Content-Type: application/json",
          content: error,
        };
      }
      const ok = responses["200"];
      if (meta?.successStatus && ok) {
        responses[String(meta.successStatus)] = ok;
        delete responses["200"];
      }
      addExamplesAndLinks(operation as Operation, String(meta?.successStatus ?? 200));
      documentScopes(operation as Parameters<typeof documentScopes>[0], meta);
    }
  }
  return document;
}

type MediaType = { example?: unknown };
type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; example?: unknown }[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType>; links?: Record<string, unknown> }>;
};

/** Request and response examples (openapi-examples.ts) and links (openapi-links.ts) of an operation. */
function addExamplesAndLinks(operation: Operation, successStatus: string): void {
  const key = operation.operationId ?? "";
  const success = operation.responses?.[successStatus];
  const example = operationExamples[key];
  if (example) {
    for (const parameter of operation.parameters ?? []) {
      const value = example.request?.[parameter.name];
      if (value !== undefined) parameter.example = value;
    }
    const body = operation.requestBody?.content?.["application/json"];
    if (body && example.request) body.example = example.request;
    const json = success?.content?.["application/json"];
    if (json) json.example = example.response;
  }
  const links = operationLinks[key];
  if (links && success) {
    success.links = Object.fromEntries(
      Object.entries(links).map(([name, { operationId, description, parameters, requestBody }]) => [
        name,
        {
          operationId,
          description,
          ...(parameters ? { parameters } : {}),
          ...(requestBody ? { requestBody } : {}),
        },
      ]),
    );
  }
}
