# weft — the commands of the README. Every target installs what it needs first.

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson

# Debian packages: build and test dependencies, benchmark peers, protocol
# libraries and the Twisted used by the side-by-side conformance test.
DEBS := g++ meson ninja-build pkg-config libboost-context-dev libev-dev doctest-dev \
        libboost-fiber-dev libhttp-parser-dev python3-twisted
BENCH_DEBS := wrk

SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

.PHONY: all deps bench-deps configure build demo test bench bench-json asan clean

all: build

# Installs whatever of the packages in $(1) is missing (a no-op when all are present).
define install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install,$(DEBS))

# wrk loads the HTTP benchmark; only `make bench` needs it.
bench-deps: deps
	$(call install,$(BENCH_DEBS))

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=release

configure: deps $(BUILD)/build.ninja

build: configure
	$(MESON) compile -C $(BUILD)

demo: build
	@./examples/demo.sh $(BUILD)

test: build
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

bench: bench-deps build
	@./bench/run.sh $(BUILD)

bench-json: bench-deps build
	@./bench/run.sh $(BUILD) --json

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) --buildtype=debugoptimized -Db_lto=false \
	  -Db_sanitize=address,undefined -Db_lundef=false

asan: deps $(ASAN_BUILD)/build.ninja
	$(MESON) compile -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --timeout-multiplier 4

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
