# make demo   the whole stack on this machine, then two bookings end to end
# make dev    the whole stack, no demo (Ctrl-C stops it)
# make test   go vet, gofmt, and every test (unit and end-to-end), with -race
# make unit   the quick tests only (-short: no dev server)
# make prod-test  the production topology without Docker (PostgreSQL, the real
#              Temporal server, two workers) through a worker kill and a server restart

# The Temporal CLI (dev server + UI) is built from Go source once into bin/.
TEMPORAL_VERSION := v1.5.1
TEMPORAL := bin/temporal
GO ?= go
COMPOSE_FILE := docker-compose.temporal.yml
COMPOSE_ENV := deploy/compose.env.example

# The production topology's Temporal server and its SQL tool, at the version
# of the compose file's temporalio/server image, built from Go source once
# into bin/temporal-server-<version>/ (server, sql).
TEMPORAL_SERVER_VERSION := v$(shell sed -n 's|^ *image: temporalio/server:||p' $(COMPOSE_FILE))
TEMPORAL_SERVER_DIR := bin/temporal-server-$(TEMPORAL_SERVER_VERSION)
TEMPORAL_SERVER := $(TEMPORAL_SERVER_DIR)/server

.PHONY: demo dev test unit vet temporal temporal-server build compose-check clean-dev test-deps prod-deps prod-test

# ensure: $(call ensure,<commands, any of which will do>,<Debian package>).
# A fresh Debian machine gets the package installed when make runs as root
# with apt-get; anywhere else make stops at once, naming the one command to run.
define ensure
@found=""; for c in $(1); do command -v $$c >/dev/null 2>&1 && found=$$c && break; done; \
if [ -z "$$found" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "installing the Debian package $(2) (once)"; \
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null) || exit 1; \
  else \
    echo "$(2) is missing: run  sudo apt-get install -y $(2)  then make again" >&2; exit 1; \
  fi; \
fi
endef

temporal: $(TEMPORAL)

$(TEMPORAL):
	@mkdir -p bin
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) from source into bin/ (once; ~5 minutes on 2 cores)"
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

temporal-server: $(TEMPORAL_SERVER)

$(TEMPORAL_SERVER):
	@mkdir -p $(TEMPORAL_SERVER_DIR)
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) and its SQL tool from source into $(TEMPORAL_SERVER_DIR)/ (once; ~3 minutes on 2 cores)"
	GOBIN=$(CURDIR)/$(TEMPORAL_SERVER_DIR) $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)

# devstack builds the other binaries itself (go build into bin/) before starting them.
build:
	$(GO) build -o bin/ ./cmd/devstack

demo: $(TEMPORAL) build
	bin/devstack -demo

dev: $(TEMPORAL) build
	bin/devstack

vet:
	@out="$$(gofmt -l $$(find . -name '*.go' -not -path './.dev/*' -not -path './bin/*'))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every test: unit tests and the end-to-end tests against a real dev server
# (tests/e2e fails, never skips, when bin/temporal is missing).
test: vet test-deps prod-deps $(TEMPORAL) $(TEMPORAL_SERVER)
	$(GO) test -race -count=1 ./...

# What the tests need besides Go: Chromium drives the browser tests' 3DS
# page ($$CHROMIUM names another browser); PostgreSQL (prod-deps) runs the
# card-key store's tests and the production test against a real server.
test-deps: prod-deps
	$(if $(CHROMIUM),@true,$(call ensure,chromium chromium-browser,chromium))

# What the production test needs besides Go: Debian's PostgreSQL (its server
# programs, in /usr/lib/postgresql/<major>/bin; $$PG_BIN names another place).
prod-deps:
	$(if $(PG_BIN),@true,$(call ensure,initdb /usr/lib/postgresql/*/bin/initdb,postgresql))

# The production topology without Docker: tests/prod (make test runs it too).
# PROD_BOOKINGS=… sets its size (default 300), PROD_SEED=… replays a run.
prod-test: vet prod-deps $(TEMPORAL) $(TEMPORAL_SERVER)
	$(GO) test ./tests/prod -count=1 -v -timeout 30m

unit: vet
	$(GO) test -race -count=1 -short ./...

# Static check of the compose file (no Docker engine needed). The Go test in
# deploy/ checks the same file against what the binaries read.
compose-check:
	$(call ensure,docker-compose,docker-compose)
	docker-compose --env-file $(COMPOSE_ENV) -f $(COMPOSE_FILE) config -q && echo "$(COMPOSE_FILE): valid"

# Forget the dev stack's state: the dev server's database and the generated keys.
clean-dev:
	rm -rf .dev

# make bench: throughput, latency and Temporal cost per booking beside a
# bare-Temporal floor, on a fresh dev server; the run's results go to
# docs/benchmarks/<label>.md (throughput.md, or hold.md in hold mode; -label
# names another), which BENCHMARKS.md sums up by hand.
# BENCH_FLAGS="-n 20" for a quick look; BENCH_FLAGS="-mode hold -m 10000" for
# the hold-and-restart test; `go run ./cmd/bench -h` lists every flag.
BENCH_FLAGS ?=
.PHONY: bench
bench: $(TEMPORAL)
	$(GO) run ./cmd/bench -write docs/benchmarks $(BENCH_FLAGS)

# make bench-prod: the same against the production topology (the real
# Temporal server on a throwaway PostgreSQL, as make prod-test runs it);
# results in docs/benchmarks/throughput-prod.md (hold mode: hold-prod.md).
.PHONY: bench-prod
bench-prod: prod-deps $(TEMPORAL) $(TEMPORAL_SERVER)
	$(GO) run ./cmd/bench -server prod -write docs/benchmarks -label $(if $(findstring hold,$(BENCH_FLAGS)),hold-prod,throughput-prod) $(BENCH_FLAGS)

# make faults: the fault-injection suite at full size (make test runs it
# small). FAULTS_BOOKINGS=… per scenario, FAULTS_SEED=… to replay a run.
FAULTS_BOOKINGS ?= 200
.PHONY: faults
faults: $(TEMPORAL)
	FAULTS_BOOKINGS=$(FAULTS_BOOKINGS) $(GO) test ./tests/faults -count=1 -v -timeout 90m

# make mutate: mutation testing of the money paths (workflows/, activities/)
# with gremlins, not part of make test: each live mutant is a line no test
# notices breaking. The README lists what lives and why.
GREMLINS_VERSION := v0.6.0
GREMLINS := bin/gremlins
.PHONY: mutate
$(GREMLINS):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
mutate: $(GREMLINS)
	$(GREMLINS) unleash --workers 2 --timeout-coefficient 5 ./workflows
	$(GREMLINS) unleash --workers 2 --timeout-coefficient 5 ./activities
