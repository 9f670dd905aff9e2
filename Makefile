# weft: the two README commands and the usual targets. CMake does the build.
BUILD        ?= build
BUILD_ASAN   ?= build-asan
BUILD_UCTX   ?= build-ucontext
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS  ?=
PREFIX       ?= /usr/local
TESTS        ?=

.PHONY: all deps build test demo test-asan test-tsan test-valgrind test-ucontext torture \
        bench bench-dns bench-core bench-sync bench-thread bench-process bench-net bench-fs bench-http-client install format format-check clean

all: build

deps:
	@scripts/bootstrap-deps

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

# Installs what is missing, builds, runs every test. Last line: N passed, N failed.
test: deps build
	@$(BUILD)/tests/weft-tests $(TESTS)

# Installs what is missing, builds, runs every example and shows its output.
demo: deps build
	@scripts/run-examples $(BUILD)/examples

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=address \
	  -DWEFT_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	@$(MAKE) --no-print-directory -C $(BUILD_ASAN) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  WEFT_TEST_TIMEOUT=60 $(BUILD_ASAN)/tests/weft-tests $(TESTS)

# ThreadSanitizer on the tests that cross threads (executors, bridges,
# janus queue, call_soon_threadsafe, write-behind); the core annotates its
# fibers for TSan.
BUILD_TSAN   ?= build-tsan
TSAN_TESTS   ?= executor* thread* tsqueue* threadsafe* fs_write_behind* fs_file_shared*
test-tsan: deps
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=thread \
	  -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS)
	@$(MAKE) --no-print-directory -C $(BUILD_TSAN) -j$(JOBS)
	@TSAN_OPTIONS=halt_on_error=1 WEFT_TEST_TIMEOUT=60 $(BUILD_TSAN)/tests/weft-tests $(or $(TESTS),$(TSAN_TESTS))

# The portable ucontext context switch, built and tested on this machine too.
test-ucontext: deps
	cmake -S . -B $(BUILD_UCTX) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CTX=ucontext \
	  -DWEFT_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	@$(MAKE) --no-print-directory -C $(BUILD_UCTX) -j$(JOBS)
	@$(BUILD_UCTX)/tests/weft-tests $(TESTS)

# Core tests under memcheck: 0 errors, 0 leaks.
test-valgrind: deps build
	@scripts/valgrind-tests $(BUILD)/tests/weft-tests $(TESTS)

# Fail every allocation of every core test in turn.
torture: deps build
	@WEFT_TEST_TIMEOUT=30 $(BUILD)/tests/weft-tests --torture $(or $(TESTS),$(shell cat tests/torture-list))

bench: bench-core bench-sync bench-thread bench-process bench-net bench-dns bench-fs bench-http-client

# HTTP client: weft against aiohttp (asyncio, uvloop), pycurl, Go, Node and wrk on nginx.
bench-http-client: build
	@scripts/bootstrap-deps bench
	@bench/http-client/run $(BUILD)

bench-dns: build
	@scripts/bootstrap-deps bench
	@bench/dns/run $(BUILD)

bench-process: build
	@bench/process/run $(BUILD)

bench-thread: build
	@scripts/bootstrap-deps bench
	@bench/thread/run $(BUILD)

bench-core: build
	@scripts/bootstrap-deps bench
	@bench/core/run $(BUILD)

bench-sync: build
	@scripts/bootstrap-deps bench
	@bench/sync/run $(BUILD)

# TCP echo, uvloop's method: weft against raw libuv, asyncio, uvloop, Go, Node; TLS echo.
bench-net: build
	@scripts/bootstrap-deps bench
	@bench/net/run $(BUILD)

# UDP echo: weft (protocol and task style) against Go, uvloop and asyncio.
.PHONY: bench-udp
bench-udp: build
	@scripts/bootstrap-deps bench
	@bench/udp/run $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_UCTX) $(BUILD_TSAN)

bench-fs: build
	@scripts/bootstrap-deps bench
	@bench/fs/run $(BUILD)
