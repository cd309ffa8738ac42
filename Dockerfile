# One image recipe for every binary of the project. The BINARY build argument
# picks which one:
#
#   docker build --build-arg BINARY=worker      -t a55-temporal/worker .
#   docker build --build-arg BINARY=receiver    -t a55-temporal/receiver .
#   docker build --build-arg BINARY=codecserver -t a55-temporal/codecserver .
#   docker build --build-arg BINARY=a55sandbox  -t a55-temporal/a55sandbox .
#   docker build --build-arg BINARY=bookingctl  -t a55-temporal/bookingctl .
#
# docker-compose.temporal.yml builds them this way.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Every binary's main package is cmd/<binary>.
ARG BINARY=worker
# The worker's Worker Deployment build id (e.g. --build-arg BUILD_ID=$(git
# rev-parse --short HEAD)); empty: a digest of the binary, the same for the
# same source (-trimpath), which is all versioning needs.
ARG BUILD_ID=
RUN set -eu; \
    if [ ! -d "./cmd/$BINARY" ]; then \
      echo "unknown BINARY '$BINARY' (one of: $(ls cmd | tr '\n' ' '))" >&2; exit 1; \
    fi; \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/hotelpay/a55-temporal/internal/buildinfo.buildID=$BUILD_ID" \
      -o /out/app "./cmd/$BINARY"; \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/healthcheck ./cmd/healthcheck

# Static binaries need no libc: distroless/static has CA certificates and a
# non-root user, and nothing else to patch.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot
ENTRYPOINT ["/app"]
