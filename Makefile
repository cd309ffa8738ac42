# make demo   the whole stack on this machine, then two bookings end to end
# make dev    the whole stack, no demo (Ctrl-C stops it)
# make test   go vet, gofmt, and every test (unit and end-to-end), with -race
# make unit   the quick tests only (-short: no dev server)

# The Temporal CLI (dev server + UI) is built from Go source once into bin/.
TEMPORAL_VERSION := v1.5.1
TEMPORAL := bin/temporal
GO ?= go
COMPOSE_FILE := docker-compose.temporal.yml
COMPOSE_ENV := deploy/compose.env.example

.PHONY: demo dev test unit vet temporal build compose-check clean-dev

temporal: $(TEMPORAL)

$(TEMPORAL):
	@mkdir -p bin
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) from source into bin/ (once; ~5 minutes on 2 cores)"
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

# devstack builds the other binaries itself (go build into bin/) before starting them.
build:
	$(GO) build -o bin/ ./devstack

demo: $(TEMPORAL) build
	bin/devstack -demo

dev: $(TEMPORAL) build
	bin/devstack

vet:
	@out="$$(gofmt -l $$(find . -name '*.go' -not -path './.dev/*' -not -path './bin/*'))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every test: unit tests and the end-to-end tests against a real dev server
# (e2e/ fails, never skips, when bin/temporal is missing).
test: vet $(TEMPORAL)
	$(GO) test -race -count=1 ./...

unit: vet
	$(GO) test -race -count=1 -short ./...

# Static check of the compose file (no Docker engine needed). The Go test in
# deploy/ checks the same file against what the binaries read.
compose-check:
	@if command -v docker-compose >/dev/null; then \
	  docker-compose --env-file $(COMPOSE_ENV) -f $(COMPOSE_FILE) config -q && echo "$(COMPOSE_FILE): valid"; \
	else \
	  echo "docker-compose is not installed: skipped (apt-get install docker-compose)"; \
	fi

# Forget the dev stack's state: the dev server's database and the generated keys.
clean-dev:
	rm -rf .dev

# make bench: throughput, latency and Temporal cost per booking beside a
# bare-Temporal floor, on a fresh dev server; results go into BENCHMARKS.md.
# BENCH_FLAGS="-n 20" for a quick look; BENCH_FLAGS="-mode hold -m 10000" for
# the hold-and-restart test; `go run ./bench -h` lists every flag.
BENCH_FLAGS ?=
.PHONY: bench
bench: $(TEMPORAL)
	$(GO) run ./bench -write BENCHMARKS.md $(BENCH_FLAGS)

# make faults: the fault-injection suite at full size (make test runs it
# small). FAULTS_BOOKINGS=… per scenario, FAULTS_SEED=… to replay a run.
FAULTS_BOOKINGS ?= 200
.PHONY: faults
faults: $(TEMPORAL)
	FAULTS_BOOKINGS=$(FAULTS_BOOKINGS) $(GO) test ./faults -count=1 -v -timeout 90m
