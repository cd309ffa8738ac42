# The Temporal CLI (dev server + UI) is built from Go source once into bin/.
TEMPORAL_VERSION := v1.5.1
TEMPORAL := bin/temporal
GO ?= go

.PHONY: test unit vet temporal

temporal: $(TEMPORAL)

$(TEMPORAL):
	@mkdir -p bin
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) from source into bin/ (once; ~5 minutes on 2 cores)"
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

# Every test: unit tests and the end-to-end tests against a real dev server.
test: vet $(TEMPORAL)
	TEMPORAL_CLI=$(CURDIR)/$(TEMPORAL) $(GO) test -race -count=1 ./...

unit: vet
	$(GO) test -race -count=1 -short ./...
