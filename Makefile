# wasmhook. `make demo` and `make test` need only Go; `make tools` installs
# the guest toolchains that `make wasm` needs to rebuild modules from source.

GO        ?= go
WAT2WASM  ?= wat2wasm
BIN       := bin
WASMHOOK  := $(BIN)/wasmhook

WAT_SRC   := $(wildcard testdata/wat/*.wat testdata/hostile/*.wat examples/wat/*.wat)
WAT_WASM  := $(WAT_SRC:.wat=.wasm)

DEMO_DIR  := $(BIN)/demo-modules

.PHONY: all test vet demo build wasm tools clean fuzz

FUZZTIME ?= 10s
# package:target pairs, one per fuzz target.
FUZZ_TARGETS := .:FuzzEventJSON .:FuzzPayload \
	./internal/jsonraw:FuzzValidate ./internal/jsonraw:FuzzAppendString ./internal/jsonraw:FuzzMerge

all: vet test

## test: vet, gofmt check and the race-enabled tests
test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build: $(WASMHOOK)

$(WASMHOOK): $(shell find . -name '*.go' -not -path './testdata/*' -not -path './examples/*' -not -path './guest-sdk/*') go.mod
	$(GO) build -o $@ ./cmd/wasmhook

## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz)
fuzz:
	@for pt in $(FUZZ_TARGETS); do \
		pkg=$${pt%%:*}; target=$${pt##*:}; \
		echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

## demo: run the enricher over the example plugins on a bundled NetBox event
demo: $(WASMHOOK) $(DEMO_DIR)/10-active_branch.wasm $(DEMO_DIR)/20-site_status.wasm
	$(WASMHOOK) run --modules $(DEMO_DIR) --event testdata/netbox/site-updated.json -v

$(DEMO_DIR)/10-active_branch.wasm: examples/wat/active_branch.wasm
	@mkdir -p $(DEMO_DIR)
	cp $< $@

$(DEMO_DIR)/20-site_status.wasm: $(wildcard examples/go/site_status/*.go)
	@mkdir -p $(DEMO_DIR)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o $@ ./examples/go/site_status

## wasm: rebuild every committed .wasm from its source
wasm: $(WAT_WASM)

%.wasm: %.wat
	$(WAT2WASM) $< -o $@

## tools: install the guest toolchains (pinned where Debian allows)
tools:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wabt=1.0.32-1

clean:
	rm -rf $(BIN)
