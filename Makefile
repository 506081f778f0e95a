# weft — the commands of the README. Every target installs what it needs first.

BUILD          ?= build
ASAN_BUILD     ?= build-asan
TSAN_BUILD     ?= build-tsan
FUZZ_BUILD     ?= build-fuzz
MESON          ?= meson

# Debian packages: build and test dependencies, benchmark peers, protocol
# libraries, the Twisted used by the side-by-side conformance test,
# valgrind (make valgrind; with <valgrind/valgrind.h> present the stack pool
# registers its stacks), cmake for the CMake consumer of tests/consumer/,
# libunwind (the dump's backtraces: its header at build time, libunwind.so.8
# loaded at run time), gdb (the test of the gdb helper, docs/weft_gdb.py),
# OpenSSL (io/'s TLS; the openssl and curl programs are the TLS tests' peers;
# curl is also a real client of the HTTP server, tests/http/);
# remote/ (docs/remote.md): nats-server (its tests start one), cnats, msgpack-cxx.
DEBS := g++ meson ninja-build pkg-config libboost-context-dev libev-dev doctest-dev \
        libboost-fiber-dev libhttp-parser-dev python3-twisted valgrind cmake libunwind-dev gdb \
        libssl-dev openssl curl nats-server libnats-dev libmsgpack-cxx-dev
BENCH_DEBS := wrk
# ThreadSanitizer's runtime for g++ (make tsan).
TSAN_DEBS := libtsan2
# clang and its libFuzzer runtime (make fuzz).
FUZZ_DEBS := clang libclang-rt-14-dev

SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

.PHONY: all deps bench-deps configure build demo test bench bench-json asan tsan fuzz valgrind \
        tsan-deps fuzz-deps clean

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

# ThreadSanitizer over the tests that cross threads (tests/meson.build lists
# them: LoopRef::post, Address sends, to_thread, loops on several threads, and
# their stress). The context switches are annotated as TSan fibers
# (sched/detail/context.hpp); what TSan cannot see is in tests/tsan.supp, one
# reason per entry.
TSAN_OPTIONS_CI := halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp

tsan-deps: deps
	$(call install,$(TSAN_DEBS))

$(TSAN_BUILD)/build.ninja: | tsan-deps
	$(MESON) setup $(TSAN_BUILD) --buildtype=debugoptimized -Db_lto=false -Db_sanitize=thread

tsan: tsan-deps $(TSAN_BUILD)/build.ninja
	$(MESON) compile -C $(TSAN_BUILD) tests/weft_tsan_tests
	TSAN_OPTIONS=$(TSAN_OPTIONS_CI) $(TSAN_BUILD)/tests/weft_tsan_tests --force-colors=false

# libFuzzer targets (tests/fuzz/README.md), each for FUZZ_SECONDS on its
# committed corpus (tests/fuzz/corpus/<target>); new inputs go to
# $(FUZZ_BUILD)/corpus-<target>, a failing one to $(FUZZ_BUILD)/<target>-crash-*.
FUZZ_TARGETS := endpoint stream http
FUZZ_SECONDS ?= 25

fuzz-deps: deps
	$(call install,$(FUZZ_DEBS))

$(FUZZ_BUILD)/build.ninja: | fuzz-deps
	CXX=clang++ $(MESON) setup $(FUZZ_BUILD) --buildtype=debugoptimized -Db_lto=false \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true

fuzz: fuzz-deps $(FUZZ_BUILD)/build.ninja
	$(MESON) compile -C $(FUZZ_BUILD) $(addprefix tests/fuzz/fuzz_,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
	  echo "make: fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$t- \
	    $(FUZZ_BUILD)/corpus-$$t tests/fuzz/corpus/$$t; \
	done

# The suites under valgrind memcheck, on the release build (tasklet stacks
# are registered with VALGRIND_STACK_REGISTER: valgrind is a build dependency
# for that). A memcheck error fails (exit 99); the suites' own verdicts do not
# (--no-exitcode: under valgrind's slowdown their time assertions miss their
# tolerance, which says nothing about memory). Left out: the million-tasklet
# test (hours under valgrind; make test checks the scale), the layout check,
# the Twisted side-by-side run and the consumer builds (no weft code under
# test of their own).
valgrind: build
	@tests=$$($(MESON) test -C $(BUILD) --no-rebuild --list | \
	  grep -vx -e layout -e compat_twisted_side_by_side -e consumer); \
	$(MESON) test -C $(BUILD) --no-rebuild --print-errorlogs --num-processes 2 \
	  --timeout-multiplier 20 \
	  --wrapper 'valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q' \
	  --test-args '--test-case-exclude=*million* --no-exitcode' $$tests

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
