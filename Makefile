# shiftleft — see README.md. Every target works on a fresh machine with Go.
export GOTOOLCHAIN := local

BIN      := bin/shiftleft
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
EXAMPLE  := examples/pipelines
PKGS     := ./...

.PHONY: all build run report test test-full lint bench fuzz docker clean

all: build

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/shiftleft

# The main job on the embedded defaults: the service (embedded NATS, the
# Confluent Cloud emulator) deploys the sample pipelines from a signed git
# push, then redeploys what a change to one table impacts.
run: build
	$(BIN) demo $(EXAMPLE)

# The metadata of the sample pipelines and a report of one of its sinks.
report: build
	$(BIN) table build-inventory $(EXAMPLE)
	$(BIN) pipeline build-all-metadata $(EXAMPLE)
	$(BIN) pipeline report sales_mv_top_customers $(EXAMPLE)

# Every test, with the race detector, after the static checks.
test: lint
	go test -race -count=1 $(PKGS)

# Every test with the chaos, cluster and scale scenarios at full size (build
# tag full, SHIFTLEFT_TEST_FULL=1): the worker killed at 10 points of a
# 300-table deploy, the NATS cluster whose leader is killed during 20
# pushes, where make test runs a few. Tens of minutes.
test-full: lint
	SHIFTLEFT_TEST_FULL=1 go test -race -count=1 -tags full -timeout 90m $(PKGS)

lint:
	go vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Whole-process metadata builds on generated trees, webhook ingest, the
# deploy makespan against the emulator, and a 2,000-table deploy within
# Confluent Cloud's limits (and a 10,000-table one refused), each against
# its target (see README),
# then the Go benchmarks. The timed processes run first, on a quiet file
# system: the Go benchmarks make and delete trees of their own, and the
# kernel frees those for a while after. Both always run; a missed target
# fails the target.
bench:
	@status=0; go run ./internal/benchreport || status=1; \
	go test -run '^$$' -bench . -benchmem $(PKGS) || status=1; \
	exit $$status

fuzz:
	go test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./flinksql

docker:
	docker build -t shiftleft:$(VERSION) .

clean:
	rm -rf bin
