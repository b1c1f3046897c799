# syntax=docker/dockerfile:1
# The users service: built with the same commands as CI (pnpm install, turbo build), then
# `pnpm deploy` of the server alone into a small runtime image that runs as a non-root user.

FROM node:20.20-bookworm-slim AS build
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 npm_config_update_notifier=false
RUN npm install -g pnpm@10.34.9
WORKDIR /repo
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm turbo run build --filter=@usersvc/server
RUN pnpm --filter @usersvc/server deploy --prod --legacy /out

FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production APP_ENV=production HOST=0.0.0.0 PORT=8000
WORKDIR /app
COPY --from=build --chown=node:node /out ./
USER node
EXPOSE 8000
# Liveness only: readiness (/api/users/health) is for the load balancer. A worker-only
# process (PROCESS_ROLE=worker) serves no HTTP, so there is nothing to probe.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "process.env.PROCESS_ROLE==='worker'?process.exit(0):fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/users/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The V8 heap limit from the container's memory limit (40% to the old space; none without a
# limit): V8 would otherwise size it from the host's memory and collect lazily.
CMD ["sh", "-c", "exec node $(node dist/heap-flags.js) dist/main.js"]
