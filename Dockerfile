# syntax=docker/dockerfile:1

# Candor: one static binary on a distroless base, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t candor .
#   docker run -p 8080:8080 candor            # embedded mode, data in /data
#
# For PostgreSQL and Redis see docker-compose.yml.

ARG GO_VERSION=1.26

# The build stage runs on the builder's own platform and cross-compiles,
# which is fast and works for every target since the binary needs no cgo.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
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
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/candor /candor
# The embedded mode keeps its SQLite file and generated secret key here;
# the directory must belong to the nonroot user to be writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CANDOR_DATA_DIR=/data \
    CANDOR_HTTP_ADDR=:8080
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/candor"]
CMD ["run"]
