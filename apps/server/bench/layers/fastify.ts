/**
 * Prototype for the HTTP-layer comparison (issue 14.7): the same service on Fastify 5 with
 * tRPC's Fastify plugin, trpc-to-openapi's Fastify plugin, `@fastify/cors` and
 * `@fastify/helmet`. Only what the benchmark needs to be a fair comparison.
 */
import http, { type RequestListener } from "node:http";
import fastifyCors from "@fastify/cors";
import fastifyHelmet from "@fastify/helmet";
import type { TRPCError } from "@trpc/server";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyRequest } from "fastify";
import { fastifyTRPCOpenApiPlugin } from "trpc-to-openapi";
import { describeError } from "../../src/errors";
import type { ListenerOptions } from "../../src/http/listener";
import { assignRequestId } from "../../src/http/middleware";
import { createRouteLabeler } from "../../src/http/routes";
import { createHttpLogger } from "../../src/logger";
import type { AppRouter } from "../../src/router";
import { errorHeaders, restResponseMeta } from "./meta";

export async function createFastifyListener(options: ListenerOptions): Promise<RequestListener> {
  const { metrics, router } = options;
  const httpLogger = createHttpLogger(options.logger, assignRequestId);
  const routeOf = createRouteLabeler({
    openApiDocument: options.openApiDocument,
    procedures: Object.keys(router._def.procedures),
  });
  let listener: RequestListener | undefined;
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: 5_000 },
    serverFactory: (handler) => {
      listener = handler;
      return http.createServer();
    },
  });
  app.addHook("onRequest", async (request, reply) => {
    const { raw: req } = request;
    const res = reply.raw;
    const started = process.hrtime.bigint();
    const route = routeOf(request.url.split("?", 1)[0] ?? "/");
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest({ route, method: req.method ?? "GET", status: res.statusCode }, seconds);
    });
    httpLogger(req, res);
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
  });
  if (options.corsOrigins.length > 0) await app.register(fastifyCors, { origin: [...options.corsOrigins] });
  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router,
      createContext: ({ req }) => options.createContext(req.raw),
      responseMeta: errorHeaders,
      onError: ({ error, path }) => metrics.countError(path, describeError(error).code),
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>);
  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: "/api",
    router,
    createContext: ({ req }: { req: FastifyRequest }) => options.createContext(req.raw),
    responseMeta: restResponseMeta,
    onError: ({ error, path }: { error: TRPCError; path: string | undefined }) =>
      metrics.countError(path, describeError(error).code),
  });
  await app.ready();
  if (!listener) throw new Error("Fastify did not hand over its request handler");
  return listener;
}
