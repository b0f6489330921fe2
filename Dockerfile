# syntax=docker/dockerfile:1.7
# The trendstream image: one image, every worker, chosen by argument —
#   docker run IMAGE ingest | process | sink | serve   (or: detect, demo, --help)
# Multi-stage: `deps` installs production dependencies only, `build` type-checks the
# sources with the dev tools and compiles them (npm run build: dist/, each file transpiled
# as tsx would at run time), `runtime` is Node 24 LTS slim as an unprivileged user running
# dist/ with plain node: no TypeScript loader, no transform at each start.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- production dependencies --------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` rejects this lock file: chdb lists per-platform engines npm leaves out of it.
# EMBEDDED=true keeps chdb's in-process ClickHouse engine (~540 MB) for single-container
# demos; workers in compose and Kubernetes talk to a ClickHouse server and drop it.
# (--omit=optional would also drop esbuild's platform binary, which tsx needs.)
ARG EMBEDDED=false
RUN --mount=type=cache,target=/root/.npm \
    npm install --omit=dev --no-audit --no-fund \
 && if [ "$EMBEDDED" != "true" ]; then rm -rf node_modules/@chdb; fi

# ---- type check with the dev tools (fails the build on a type error) ------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund
COPY . .
RUN npx tsc --noEmit -p . \
 && npm run build \
 && rm -rf node_modules test bench scripts

# ---- runtime --------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# In a container every port listens on all its addresses (outside one they default to
# 127.0.0.1): what reaches them is decided by published ports and network policies.
ENV NODE_ENV=production \
    TRENDSTREAM_HTTP_PORT=9464 \
    TRENDSTREAM_HTTP_HOST=0.0.0.0 \
    TRENDSTREAM_INGEST_PORT=8080 \
    TRENDSTREAM_INGEST_HOST=0.0.0.0 \
    TRENDSTREAM_API_PORT=8081 \
    TRENDSTREAM_API_HOST=0.0.0.0
# V8 sizes its heap from the host's memory and collects late; 320 MiB keeps a worker's RSS
# under 512 MiB (npm run bench, 1M distinct hashtags). Raise it for the embedded store.
# The sink adds a 32 MiB young generation (deploy/k8s/sink.yaml, compose.yaml).
ENV NODE_OPTIONS=--max-old-space-size=320
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app ./
# The `node` user (uid 1000) ships with the image; the code stays root-owned and
# read-only to it. Writable state (the embedded store) goes to /data.
RUN mkdir -p /data && chown node:node /data
USER node
ENV TRENDSTREAM_CHDB_PATH=/data/chdb
EXPOSE 8080 8081 9464
ENTRYPOINT ["node", "dist/bin/trendstream.mjs"]
CMD ["--help"]
