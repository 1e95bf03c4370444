# Thin wrapper over CMake: `make test` and `make demo` install what is missing (Debian
# packages), configure, build and run. Everything else is CMake and CTest.
BUILD    ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   ?= ON
CMAKE_FLAGS ?=

BUILD_PACKAGES := gcc libc6-dev make cmake pkg-config ocl-icd-opencl-dev opencl-c-headers \
                  pocl-opencl-icd libclblast-dev libturbojpeg0-dev libpng-dev libcjson-dev \
                  libdnnl-dev
# The tests compare with PyTorch and OpenCV (Debian's /usr/bin/python3 and its packages).
# bench/compare draws its chart with matplotlib; the pipeline's tests read palettes with PIL.
# The Python package builds against CPython's headers and is tested with pytest; its wheel
# test makes virtual environments.
TEST_PACKAGES  := python3 python3-torch python3-numpy python3-opencv python3-skimage \
                  python3-pil python3-matplotlib python3-dev python3-pytest python3-venv

.PHONY: all build deps test-deps test test-sanitize test-oclgrind test-fuzz test-drivers \
        test-gpu-compile gpu-compile-table demo install format clean

all: build

deps:
	@sh tools/ensure-packages $(BUILD_PACKAGES)

test-deps: deps
	@sh tools/ensure-packages $(TEST_PACKAGES)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DADNET_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The tiers with their own targets (simulator, second driver, GPU compilers) are left out here.
OWN_TIERS := "oclgrind|drivers|gpu-compile"

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE $(OWN_TIERS)

# The kernel tests on Oclgrind's simulated GPU-like device (a few minutes; CI runs it).
test-oclgrind: test-deps
	@sh tools/ensure-packages oclgrind
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DADNET_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake -S . -B $(BUILD) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L oclgrind

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: test-deps
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) \
	    -DCMAKE_BUILD_TYPE=Debug -DADNET_SANITIZE=ON -DADNET_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE $(OWN_TIERS)

# The device-level tests again on Intel's OpenCL CPU runtime (installed from PyPI into
# $(BUILD)/drivers/, nothing outside it), then PoCL and it side by side (tests/drivers/run.sh).
test-drivers: test-deps build
	@sh tools/ensure-packages python3-venv
	sh tests/drivers/run.sh $(BUILD) $(JOBS)

# Every kernel through Intel's, AMD's and NVIDIA's GPU compilers (ocloc taken out of its package
# unregistered; clang-15 with ROCm's device libraries and libclc; ptxas when CUDA is there).
GPU_COMPILE_PACKAGES := clang-15 lld-15 rocm-device-libs libclc-15 libigc1 libigdfcl1 \
                        libigdgmm12 libopencl-clang14
test-gpu-compile: test-deps build
	@sh tools/ensure-packages $(GPU_COMPILE_PACKAGES)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L gpu-compile

# The kernel x target table of docs/architecture.md, from the last test-gpu-compile run.
gpu-compile-table:
	/usr/bin/python3 tests/gpu_compile/update_doc.py $(BUILD)/gpu-compile/table.md \
	    docs/architecture.md

# The libFuzzer targets (clang, ASan, UBSan), each fuzzed for FUZZ_SECONDS from its seeds.
test-fuzz: deps
	@sh tools/ensure-packages clang libclang-rt-14-dev
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || CC=clang cmake -S . -B $(FUZZ_BUILD) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADNET_FUZZ=ON -DADNET_TESTS=OFF -DADNET_WERROR=ON \
	    $(CMAKE_FLAGS)
	cmake -S . -B $(FUZZ_BUILD) -DADNET_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

demo: build
	./$(BUILD)/adnet demo --out demo-output

# libadnet (shared and static), adnet.h, adnet.pc, the CMake package and the adnet program
# under PREFIX (lib/, include/, bin/).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i host/*/*.c host/*/*.h tests/*.c tests/*.h include/*.h examples/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
