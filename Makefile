# Hypha developer commands. `make help` lists them.
GO      ?= go
BUILD   ?= build
PKGS    := ./...
# Stamped into hyphad so `hyphad version` names the build (see cmd/hyphad/cmd/version.go).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/hypha-network/hypha/cmd/hyphad/cmd.Version=$(VERSION) \
           -X github.com/hypha-network/hypha/cmd/hyphad/cmd.Commit=$(COMMIT)

.PHONY: help build install devnet test test-unit test-e2e proto proto-check lint bench example-image clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build hyphad into ./build
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BUILD)/hyphad ./cmd/hyphad

install: ## install hyphad into $GOPATH/bin
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/hyphad

devnet: ## run the whole network locally (state in ~/.hypha-devnet)
	$(GO) run ./cmd/hyphad devnet

test: ## run every test: unit, property, conformance and end-to-end
	$(GO) test -timeout 40m $(PKGS)

test-unit: ## run the fast tests only (skips end-to-end tests)
	$(GO) test -short -timeout 20m $(PKGS)

test-e2e: build ## run the end-to-end tests against a freshly built binary
	HYPHAD_BIN=$(CURDIR)/$(BUILD)/hyphad $(GO) test -timeout 30m -count=1 ./tests/e2e/...

proto: ## regenerate Go code from proto/ (offline; needs protoc)
	bash scripts/protocgen.sh

proto-check: proto ## fail if the committed generated code differs from proto/
	@git diff --exit-code --stat -- '*.pb.go' '*.pb.gw.go' || \
	  { echo "generated code is stale: run make proto and commit the result"; exit 1; }

lint: ## go vet and gofmt on our packages
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

example-image: ## build the docker example's image hypha-example-web:1 locally (FROM scratch, no registry)
	mkdir -p build/example-web
	CGO_ENABLED=0 go build -trimpath -o build/example-web/webserver ./examples/deploy/webserver
	cp examples/deploy/webserver/Dockerfile build/example-web/
	docker build -t hypha-example-web:1 build/example-web

clean: ## remove build output
	rm -rf $(BUILD)
