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
ARG BINARY=worker
RUN set -eu; \
    case "$BINARY" in \
      worker)      pkg=./worker ;; \
      receiver)    pkg=./webhook/cmd/receiver ;; \
      codecserver) pkg=./codecserver ;; \
      a55sandbox)  pkg=./a55sandbox/cmd/a55sandbox ;; \
      bookingctl)  pkg=./starter/cmd/bookingctl ;; \
      *) echo "unknown BINARY '$BINARY' (worker, receiver, codecserver, a55sandbox, bookingctl)" >&2; exit 1 ;; \
    esac; \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/app "$pkg"; \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/healthcheck ./deploy/healthcheck

# Static binaries need no libc: distroless/static has CA certificates and a
# non-root user, and nothing else to patch.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot
ENTRYPOINT ["/app"]
