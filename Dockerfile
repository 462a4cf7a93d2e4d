# Berth as a container image: the server, its three sandbox drivers and the tools their sandboxes use.
#
#   docker compose build
#   docker compose run --rm berth keys create --name me --init
#   docker compose up -d
#
# compose.yaml holds the privileges each driver needs inside a container (the README's "Running it in
# Docker" explains them): run it from there, or give `docker run` the same settings.
# NODE_IMAGE may name any Debian 12 image with Node.js 22 or newer in /usr/local (the official
# node:*-bookworm-slim layout, headers included); the image test builds one from Debian's archive.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Lets the image test remove this stage's image, which the classic builder keeps, dangling.
LABEL org.berth.stage=build
# better-sqlite3 compiles from source where no prebuilt binary can be fetched (g++, make, python3),
# against the headers beside this Node.js, so the build fetches nothing from nodejs.org; the egress
# forwarder is a static C program (gcc, libc6-dev).
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ gcc libc6-dev make python3 \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json ./
# Dependencies first, without scripts, so a source change does not reinstall them.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# Now the install scripts (better-sqlite3's native build) and `prepare` (the build into dist/), then
# drop what only the build needed.
RUN npm rebuild --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
# The sandbox drivers (runc, runsc, bubblewrap) and what they use: e2fsprogs makes each container's
# ext4 disk (its quota), util-linux mounts it, debootstrap builds Debian images, perl-base runs the
# runsc session supervisor, tini reaps the processes sandboxes leave to pid 1. Sandboxes on the
# `host` image see this image's /usr, so it also carries what agents reach for first: bash, Python,
# curl, git.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    runc runsc bubblewrap e2fsprogs util-linux procps perl-base debootstrap tini \
    ca-certificates curl git python3 \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/package.json /opt/berth/package.json
COPY --from=build /src/bin /opt/berth/bin
COPY --from=build /src/dist /opt/berth/dist
COPY --from=build /src/node_modules /opt/berth/node_modules
# A user for running without root (bwrap only; see the README). The data volume is theirs, so a
# volume created from this image is writable either way.
RUN ln -s /opt/berth/bin/berth.js /usr/local/bin/berth \
  && useradd --system --uid 10001 --home-dir /var/lib/berth --shell /usr/sbin/nologin berth \
  && mkdir -p /var/lib/berth && chown berth:berth /var/lib/berth
ENV BERTH_DATA_DIR=/var/lib/berth NODE_ENV=production
VOLUME /var/lib/berth
EXPOSE 8787
# Ready means the database is writable, the sandbox driver usable and a provider configured.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "berth"]
# All interfaces, inside the container's own network namespace; Berth refuses to listen beyond
# loopback until an API key exists (`berth keys create`, first line of this file).
CMD ["serve", "--host", "0.0.0.0"]
