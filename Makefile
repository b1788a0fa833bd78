# SPDX-License-Identifier: GPL-2.0
# atomic_waker: out-of-tree kernel module plus its QEMU test harness.
#
#   make                 build the modules against KDIR (default: the running
#                        kernel's /lib/modules/$(uname -r)/build if present,
#                        else the cached test kernel, built if missing)
#   make kernel          build/reuse the test kernel (in $(AW_CACHE))
#   make run             boot the test kernel with the demo module
#   make check           boot the test kernel with the KUnit tests
#                        (SMP=4, AW_TIMEOUT=secs, AW_EXPECT_SUITES="a b")
#   make kcsan, kasan    check + torture on 4 CPUs on a KCSAN or a KASAN +
#                        kmemleak kernel (scripts/{kcsan,kasan}.config)
#   make lint            checkpatch, sparse + W=1, kernel-doc
#   make stock           atomic_waker + sample on Debian's stock kernel
#   make dkms-check      dkms add/build/install/remove (root)
#   make bench           benchmarks -> bench/results/
#   make bench-kernel    the kernel benchmark on a non-debug tinyconfig kernel
#   make user-check, user-mutants, model-check, litmus, torture
#                        the proofs: see user/, model/, torture/
#   make deps            install the Debian packages needed
#   make clean, make modules_install
# run, check and lint always use the test kernel. KSRC=<tree> builds the
# test kernel from another source tree.

ifneq ($(KERNELRELEASE),)
# Called by kbuild: the rules are in Kbuild.
include $(src)/Kbuild
else

SCRIPTS := $(CURDIR)/scripts
# AW_CACHE defaults to ~/.cache/atomic_waker (scripts/lib.sh)
export AW_CACHE KSRC SMP AW_TIMEOUT AW_MEM AW_APPEND AW_STEPS AW_EXTRA \
	AW_EXPECT_SUITES AW_LOG_ALLOW

HOST_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR))
# The test kernel's object dir (evaluated only when used).
TEST_KDIR = $(shell $(SCRIPTS)/build-kernel.sh --path)

.PHONY: all modules test-modules kernel run check lint deps clean \
	modules_install sample-test stock dkms-check bench bench-kernel user-check \
	user-mutants model-check litmus torture kcsan kasan

SAMPLE_TEST := sample/test/aw_sample_test

all: modules

ifeq ($(KDIR),)
modules: test-modules
else
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
endif

kernel:
	@$(SCRIPTS)/build-kernel.sh >/dev/null

test-modules: kernel
	$(MAKE) -C $(TEST_KDIR) M=$(CURDIR) modules

# Sequential on purpose (safe with make -j): deps, kernel, modules, VM.
run check:
	@$(SCRIPTS)/deps.sh
	@$(MAKE) --no-print-directory test-modules
	@$(MAKE) --no-print-directory sample-test
	@$(SCRIPTS)/vm-test.sh $@

# check + the torture module on a KCSAN or a KASAN kernel: scripts/san-test.sh
kcsan kasan:
	@$(SCRIPTS)/deps.sh
	@$(MAKE) --no-print-directory sample-test
	@$(SCRIPTS)/san-test.sh $@

# The sample driver's test program: static, it runs in the initramfs.
sample-test: $(SAMPLE_TEST)
$(SAMPLE_TEST): sample/test/aw_sample_test.c sample/atomic_waker_sample.h
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -Isample -o $@ $<

# Proof of no lost wakeup (issue 4): the same atomic_waker.c in user space
# under TSan/ASan/UBSan, weakened copies that must fail, the spin model,
# the litmus tests (herd7 if installed) and the torture module in QEMU.
user-check:
	@$(MAKE) --no-print-directory -C user check
user-mutants:
	@$(MAKE) --no-print-directory -C user mutants
model-check:
	@$(SCRIPTS)/deps.sh spin
	@model/run.sh
litmus:
	@model/litmus.sh
torture:
	@$(SCRIPTS)/deps.sh
	@$(MAKE) --no-print-directory test-modules
	@torture/run-vm.sh $(TORTURE_ARGS)

# Benchmarks: kernel (Debian's stock, non-debug 6.12 in QEMU) and user space
# (against futures-core and atomic-waker, built offline with cargo); writes
# bench/results/. See bench/README.md.
BENCH_PKGS := librust-futures-core-dev librust-atomic-waker-dev \
	librust-cc-dev linux-image-6.12.117+deb12-amd64-unsigned \
	linux-headers-6.12.117+deb12-amd64
bench:
	@$(SCRIPTS)/deps.sh $(BENCH_PKGS)
	@bench/run.sh

# The same on a kernel built from bench/bench-kernel.config (tinyconfig
# without debug options, ~3 min to build once): bench/results/bench-kernel/
bench-kernel:
	@$(SCRIPTS)/deps.sh $(BENCH_PKGS)
	@AW_FRAGMENT=$(CURDIR)/bench/bench-kernel.config $(SCRIPTS)/build-kernel.sh >/dev/null
	@AW_BENCH_KDIR=$$(AW_FRAGMENT=$(CURDIR)/bench/bench-kernel.config \
		$(SCRIPTS)/build-kernel.sh --path) bench/run.sh --kernel-only

# Debian's stock kernel in QEMU with atomic_waker + the sample (~20-30 s).
stock:
	@$(SCRIPTS)/deps.sh
	@$(SCRIPTS)/stock-kernel.sh

# dkms add/build/install/remove for Debian's 6.12 kernel (root, ~1-2 min).
dkms-check:
	@$(SCRIPTS)/dkms.sh

lint:
	@$(SCRIPTS)/deps.sh
	@$(SCRIPTS)/build-kernel.sh >/dev/null
	@$(SCRIPTS)/lint.sh

deps:
	@$(SCRIPTS)/deps.sh

modules_install:
	$(MAKE) -C $(or $(KDIR),$(TEST_KDIR)) M=$(CURDIR) modules_install

clean:
	rm -f $(SAMPLE_TEST)
	@kdir='$(or $(KDIR),$(TEST_KDIR))'; \
	if [ -f "$$kdir/Makefile" ]; then \
		$(MAKE) -C "$$kdir" M=$(CURDIR) clean; \
	else \
		find . -path ./.git -prune -o -type f \( -name '*.o' -o \
			-name '*.ko' -o -name '*.mod' -o -name '*.mod.c' -o \
			-name '.*.cmd' -o -name 'modules.order' -o \
			-name 'Module.symvers' \) -print -delete; \
	fi

endif
