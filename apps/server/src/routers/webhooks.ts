import {
  createWebhookInputSchema,
  listDeliveriesInputSchema,
  messageSchema,
  rotateWebhookSecretInputSchema,
  testWebhookInputSchema,
  type UseCases,
  updateWebhookInputSchema,
  webhookDeliveryPageSchema,
  webhookIdInputSchema,
  webhookListSchema,
  webhookSchema,
  webhookTestResultSchema,
  webhookWithSecretSchema,
} from "@usersvc/core";
import { type createApiProcedure, t } from "../trpc";

export type WebhookProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const tags = ["webhooks"];
const denied = { 401: "INVALID_API_KEY", 403: "INSUFFICIENT_SCOPE (needs admin)" } as const;
const notFound = { 404: "WEBHOOK_NOT_FOUND" } as const;

/** Webhook subscriptions and their delivery log (scope admin). See docs/integration.md. */
export function createWebhookProcedures({ apiProcedure, useCases }: WebhookProcedureDeps) {
  const { webhooks } = useCases;
  return {
    webhooks: t.router({
      create: apiProcedure
        .meta({
          scope: "admin",
          successStatus: 201,
          openapi: {
            method: "POST",
            path: "/users/webhooks",
            tags,
            summary: "Subscribe a URL to security events; the signing secret is returned only now",
            errorResponses: { 400: "VALIDATION_ERROR (including a URL that is not allowed)", ...denied },
          },
        })
        .input(createWebhookInputSchema)
        .output(webhookWithSecretSchema)
        .mutation(({ input }) => webhooks.create(input)),

      list: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "GET",
            path: "/users/webhooks",
            tags,
            summary: "Every webhook subscription",
            errorResponses: denied,
          },
        })
        .input(webhookIdInputSchema.omit({ id: true }))
        .output(webhookListSchema)
        .query(() => webhooks.list()),

      deliveries: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "GET",
            path: "/users/webhooks/deliveries",
            tags,
            summary: "The delivery log of a subscription, newest first (status, attempts, last error)",
            errorResponses: { 400: "VALIDATION_ERROR (including a foreign cursor)", ...denied, ...notFound },
          },
        })
        .input(listDeliveriesInputSchema)
        .output(webhookDeliveryPageSchema)
        .query(({ input }) => webhooks.deliveries(input)),

      rotateSecret: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "POST",
            path: "/users/webhooks/secret/rotate",
            tags,
            summary:
              "A new signing secret (returned only now); the old one keeps signing beside it for keep_previous_hours",
            errorResponses: { 400: "VALIDATION_ERROR", ...denied, ...notFound },
          },
        })
        .input(rotateWebhookSecretInputSchema)
        .output(webhookWithSecretSchema)
        .mutation(({ input }) => webhooks.rotateSecret(input)),

      test: apiProcedure
        .meta({
          scope: "admin",
          successStatus: 202,
          openapi: {
            method: "POST",
            path: "/users/webhooks/test",
            tags,
            summary: "Queue a webhook.test event for this subscription alone (see its delivery log)",
            errorResponses: { 400: "VALIDATION_ERROR", ...denied, ...notFound },
          },
        })
        .input(testWebhookInputSchema)
        .output(webhookTestResultSchema)
        .mutation(({ input }) => webhooks.sendTest(input)),

      byId: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "GET",
            path: "/users/webhooks/id",
            tags,
            summary: "One webhook subscription (never its secret)",
            errorResponses: { 400: "VALIDATION_ERROR", ...denied, ...notFound },
          },
        })
        .input(webhookIdInputSchema)
        .output(webhookSchema)
        .query(({ input }) => webhooks.get(input)),

      update: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "PATCH",
            path: "/users/webhooks/id",
            tags,
            summary: "Change a subscription's URL, event types, description or enabled flag",
            errorResponses: { 400: "VALIDATION_ERROR", ...denied, ...notFound },
          },
        })
        .input(updateWebhookInputSchema)
        .output(webhookSchema)
        .mutation(({ input }) => webhooks.update(input)),

      delete: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "DELETE",
            path: "/users/webhooks/id",
            tags,
            summary: "Delete a subscription and its waiting deliveries",
            errorResponses: { 400: "VALIDATION_ERROR", ...denied, ...notFound },
          },
        })
        .input(webhookIdInputSchema)
        .output(messageSchema)
        .mutation(({ input }) => webhooks.remove(input)),
    }),
  };
}
