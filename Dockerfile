# syntax=docker/dockerfile:1
#
# One image, three commands (the argument after the image picks one):
#   API (default)  dist/server/bin/api.js       GET /healthz (liveness), GET /readyz
#   worker         dist/worker/main.js          GET /healthz on WORKER_HEALTH_PORT, when set
#   migrations     dist/server/bin/migrate.js   run once per release, before the API
# Runs as UID 1000 with no shell, and needs nothing writable but /tmp:
#   docker run --read-only --tmpfs /tmp -e ... IMAGE                        (API)
#   docker run --read-only --tmpfs /tmp --no-healthcheck -e ... IMAGE dist/server/bin/migrate.js
# Outside local mode each process needs its own database URL (API_DATABASE_URL,
# WORKER_DATABASE_URL, MIGRATION_DATABASE_URL) and AUTH_PROVIDER=jwks settings.
#
# Base images are pinned by exact tag and digest; Dependabot proposes updates.

FROM node:24.21.0-trixie-slim@sha256:8ec5d7557396cfe32d21c3f9c13072355ceab22b584578ca4bb28af31120cffe AS node-base
WORKDIR /app

# Compile TypeScript with every dependency, dev ones included.
FROM node-base AS build
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed to compile. It also keeps the
# `node` devDependency (the project's own Node 24, for machines whose node is
# older) from downloading a second Node binary into an image that has one; its
# bin shim stays empty, so tsc is run with this image's node, not `npm run`.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# Production dependencies only, installed from the same lock file.
# --omit=optional as well: the optional packages in this tree are the
# dev-only embedded PostgreSQL's binaries, pg's Cloudflare socket, type-only
# packages, and TypeScript (kept by npm as an optional peer of cosmiconfig).
FROM node-base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# A passwd entry for UID 1000, so the process has a name and a home (/tmp).
FROM node-base AS accounts
RUN printf '%s\n' \
      'root:x:0:0:root:/root:/sbin/nologin' \
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
      'appuser:x:1000:1000:appuser:/tmp:/sbin/nologin' > /tmp/passwd \
 && printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'appuser:x:1000:' > /tmp/group

# Distroless: Node and its runtime libraries, no shell, no package manager.
FROM gcr.io/distroless/nodejs24-debian13:nonroot@sha256:bb6b03d81066993293a10feda7250e8e1cc034035fe9b61cfceededa7c8bf04d AS runtime
WORKDIR /app
COPY --from=accounts /tmp/passwd /etc/passwd
COPY --from=accounts /tmp/group /etc/group
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY sql ./sql
ENV NODE_ENV=production \
    GRAPHILE_ENV=production \
    HEIMDEX_ENV=prod \
    HOST=0.0.0.0 \
    PORT=8080 \
    HOME=/tmp
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["dist/server/bin/api.js"]
