# syntax=docker/dockerfile:1

# Candor: one static binary on a distroless base, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t candor .
#   docker run -p 8080:8080 candor            # embedded mode, data in /data
#   docker exec CONTAINER /candor apikey create --name me --role admin \
#     --owner-name "Ada Admin" --owner-email ada@example.com
#
# For PostgreSQL and Redis see docker-compose.yml.

# Base images are pinned by version and digest, so a rebuild uses the same
# bytes. HONEST CAVEAT: these digests could not be checked from the machine
# this was written on (no registry access). They are the digests public
# Dockerfiles pin for the same tags (golang:1.26.8-bookworm, and
# distroless/static-debian12:nonroot as of 2026-08-26). Before relying on
# them, compare with the registry and update both together:
#   docker buildx imagetools inspect golang:1.26.8-bookworm
#   crane digest gcr.io/distroless/static-debian12:nonroot
# The golang digest must be the multi-platform index, since the build
# stage runs on $BUILDPLATFORM.

# The build stage runs on the builder's own platform and cross-compiles,
# which is fast and works for every target since the binary needs no cgo.
# 1.26.8: go.mod's go line.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:dc9ad6c05acc7a88e5b71bde60a5fe3bd4b9f0db209011711b464107438a8107 AS build
WORKDIR /src

# Modules first, so source changes do not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/candor ./cmd/candor \
 && mkdir -p /out/data

# distroless/static has CA certificates and a nonroot user (65532) but no
# shell. Time zones come from the tzdata embedded in the binary.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/candor /candor
# The embedded mode keeps its SQLite file and generated secret key here;
# the directory must belong to the nonroot user to be writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CANDOR_DATA_DIR=/data \
    CANDOR_HTTP_ADDR=:8080
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080 8081
# The image has no shell or curl: the binary probes its own /readyz (the
# API's on CANDOR_HTTP_ADDR, or the worker's on CANDOR_WORKER_ADDR when
# nothing listens there), exit 0 when ready.
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
    CMD ["/candor", "healthcheck"]
ENTRYPOINT ["/candor"]
CMD ["run"]
