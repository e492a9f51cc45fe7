# syntax=docker/dockerfile:1

# The durable-dspy image: the worker and starter binaries on a distroless base,
# running as a non-root user. docker-compose.yml builds it for the worker and for
# the server (`starter serve`); on its own:
#
#   docker build -t durable-dspy-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=host.docker.internal:7233 durable-dspy-worker
#
# The binary also embeds a Temporal dev server (`--dev --ip 0.0.0.0`), which makes
# a cold build take several minutes; the cache mounts keep rebuilds fast.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Pure Go (SQLite included), so the binary runs on a base image without libc.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/ ./worker ./starter
# The worker keeps its LM cache (and a dev server's database) under
# .durable-dspy/ in its working directory. Creating the directory here lets a
# named volume mounted on it start out owned by the non-root user.
RUN mkdir -p /out/state/cache

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /usr/local/bin/
COPY --from=build --chown=nonroot:nonroot /out/state /home/nonroot/.durable-dspy
WORKDIR /home/nonroot
USER nonroot:nonroot
# The dev server's ports, used only with --dev or --dev-only, and the port the
# compose file's `starter serve` listens on.
EXPOSE 7233 8233 8000
ENTRYPOINT ["/usr/local/bin/worker"]
