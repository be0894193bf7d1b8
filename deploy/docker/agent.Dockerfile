# syntax=docker/dockerfile:1
#
# backlot/agent:0.1.0 — the image every Job of the kubernetes runner runs: Node 22, backlot-agent as one esbuild
# bundle, and the PostgreSQL clients (pg_dump, pg_restore, psql, pg_dumpall) of majors 14, 15, 16, 17 and 18 from
# the PGDG apt repository, so the agent picks the client of the server's major (exact, else the nearest newer)
# in the same image.
#
# Build from the repository root (the context must be the root: the bundle is built from the workspace):
#
#   docker build -f deploy/docker/agent.Dockerfile -t backlot/agent:0.1.0 .
#
# agent.Dockerfile.dockerignore (next to this file, which BuildKit reads instead of the root .dockerignore) keeps
# the sources in the context. packages/testbed/src/deployArtefacts.test.ts keeps this file honest without a
# container engine (majors, BACKLOT_PG_BIN_DIRS, USER, COPY sources): change them together.

# Stage 1 - the workspace skeleton: every package.json, so the install layer is cached until one of them changes
FROM node:22-bookworm-slim AS packages
WORKDIR /app
COPY package.json yarn.lock .yarnrc.yml ./
COPY .yarn ./.yarn
COPY packages packages
COPY plugins plugins
RUN find packages plugins -mindepth 2 -maxdepth 2 \! -name package.json -exec rm -rf {} \+

# Stage 2 - install what @backlot/agent needs and bundle it (yarn workspace @backlot/agent bundle)
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY --from=packages /app .
RUN --mount=type=cache,target=/root/.yarn/berry/cache,sharing=locked \
    yarn workspaces focus @backlot/agent
COPY packages/agent packages/agent
RUN yarn workspace @backlot/agent bundle && node packages/agent/dist/backlot-agent.cjs --version

# Stage 3 - the image
FROM node:22-bookworm-slim
# PGDG (apt.postgresql.org), the way its wiki sets it up by hand: its signing key, then one source line for this
# Debian release. curl and gnupg are not kept.
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    . /etc/os-release; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
      postgresql-client-14 postgresql-client-15 postgresql-client-16 postgresql-client-17 postgresql-client-18; \
    apt-get purge -y --auto-remove curl; \
    rm -rf /var/lib/apt/lists/*; \
    for major in 14 15 16 17 18; do "/usr/lib/postgresql/$major/bin/pg_dump" --version; done
# A passwd entry for the numeric user: libpq looks the user up (default user name, home for .pgpass)
RUN groupadd --gid 10001 backlot \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/backlot --shell /usr/sbin/nologin backlot
# bin/backlot-agent runs dist/backlot-agent.cjs when there is no src/ beside it, as here
COPY --from=build /app/packages/agent/bin/backlot-agent /opt/backlot-agent/bin/backlot-agent
COPY --from=build /app/packages/agent/dist/backlot-agent.cjs /opt/backlot-agent/dist/backlot-agent.cjs
RUN ln -s /opt/backlot-agent/bin/backlot-agent /usr/local/bin/backlot-agent
# Newest first: the order the agent tries them in (it also looks in /usr/lib/postgresql/*/bin by itself)
ENV BACKLOT_PG_BIN_DIRS=/usr/lib/postgresql/18/bin:/usr/lib/postgresql/17/bin:/usr/lib/postgresql/16/bin:/usr/lib/postgresql/15/bin:/usr/lib/postgresql/14/bin
# Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd
USER 10001:10001
ENTRYPOINT ["backlot-agent"]
