# syntax=docker/dockerfile:1
#
# The Backstage backend (packages/backend, serving the app too) with the db-backups plugins: Backstage's documented
# multi-stage build (https://backstage.io/docs/deployment/docker#multi-stage-build), for Yarn 4 like the host-build
# Dockerfile that create-app wrote to packages/backend/Dockerfile. That one packages a build made on the host
# (yarn install, yarn tsc, yarn build:backend); this one builds everything from the repository inside the image
# build, so only a container engine is needed. Build from the repository root:
#
#   docker build -f deploy/docker/backend.Dockerfile -t backlot/backend:0.1.0 .
#
# backend.Dockerfile.dockerignore (next to this file; BuildKit reads it instead of the root .dockerignore, which is
# the host build's and leaves the sources out) keeps the sources in the context.
#
# With dbBackups.runner: kubernetes the backend only creates Jobs (image backlot/agent:0.1.0, agent.Dockerfile).
# With the local runner it would run the agent in this container, which carries no PostgreSQL clients.

# Stage 1 - the workspace skeleton: every package.json, so the install layer is cached until one of them changes
FROM node:22-bookworm-slim AS packages
WORKDIR /app
COPY backstage.json package.json yarn.lock .yarnrc.yml ./
COPY .yarn ./.yarn
COPY packages packages
COPY plugins plugins
RUN find packages plugins -mindepth 2 -maxdepth 2 \! -name package.json -exec rm -rf {} \+

# Stage 2 - install all dependencies and build the backend bundle
FROM node:22-bookworm-slim AS build
# node-gyp (better-sqlite3, isolated-vm of the scaffolder) needs python3 and a compiler
ENV PYTHON=/usr/bin/python3
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && \
    apt-get install -y --no-install-recommends python3 g++ build-essential libsqlite3-dev && \
    rm -rf /var/lib/apt/lists/*
USER node
WORKDIR /app
COPY --from=packages --chown=node:node /app .
RUN --mount=type=cache,target=/home/node/.yarn/berry/cache,sharing=locked,uid=1000,gid=1000 \
    yarn install --immutable
COPY --chown=node:node . .
RUN yarn tsc
# The agent's esbuild bundle first: bin/backlot-agent runs it when the package has no src/ (the backend bundle's
# copy of @backlot/agent holds bin and dist only), which is what the local runner spawns.
RUN yarn workspace @backlot/agent bundle
RUN yarn --cwd packages/backend build
RUN mkdir packages/backend/dist/skeleton packages/backend/dist/bundle \
    && tar xzf packages/backend/dist/skeleton.tar.gz -C packages/backend/dist/skeleton \
    && tar xzf packages/backend/dist/bundle.tar.gz -C packages/backend/dist/bundle

# Stage 3 - the image: production dependencies and the bundle
FROM node:22-bookworm-slim
ENV PYTHON=/usr/bin/python3
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && \
    apt-get install -y --no-install-recommends python3 g++ build-essential libsqlite3-dev && \
    rm -rf /var/lib/apt/lists/*
# From here on the least-privileged `node` user (uid 1000) runs the backend.
USER node
WORKDIR /app
COPY --from=build --chown=node:node /app/.yarn ./.yarn
COPY --from=build --chown=node:node /app/.yarnrc.yml /app/backstage.json /app/yarn.lock /app/package.json ./
COPY --from=build --chown=node:node /app/packages/backend/dist/skeleton/ ./
# This switches many Node.js dependencies to production mode.
ENV NODE_ENV=production
RUN --mount=type=cache,target=/home/node/.yarn/berry/cache,sharing=locked,uid=1000,gid=1000 \
    yarn workspaces focus --all --production && rm -rf "$(yarn cache clean)"
COPY --from=build --chown=node:node /app/packages/backend/dist/bundle/ ./
COPY --chown=node:node app-config.yaml app-config.production.yaml ./
COPY --chown=node:node examples ./examples
# Backstage's scaffolder (isolated-vm) needs Node's snapshot off on Node 20 and newer
ENV NODE_OPTIONS="--no-node-snapshot"
CMD ["node", "packages/backend", "--config", "app-config.yaml", "--config", "app-config.production.yaml"]
