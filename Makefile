# SPDX-License-Identifier: GPL-2.0
# atomic_waker: a lock-free single-target wakeup slot, as a kernel module.
#
#   library   atomic_waker.h (the contract), atomic_waker.c
#   tests     kunit/ (KUnit suites, also built in user space by user/),
#             sample/ (a driver, its test and the demo), torture/
#   proofs    model/ (spin model, litmus tests), user/ (sanitizers, mutants)
#   tools     scripts/ (vm.py: one VM runner, its kernels and profiles in
#             profiles.toml), bench/ (benchmarks), dkms.conf
#
# make, make modules_install, make clean: kbuild and nothing else, against
# KDIR (default: the running kernel's build tree).  The targets below set up
# a fresh Debian 12 machine themselves (packages, kernels, QEMU), keep what
# they build in ~/.cache/atomic_waker (AW_CACHE=), print where their logs
# went, and end with "N passed, N failed":
#
#   make run          the demo: a task woken from a hard IRQ, in QEMU
#   make check        KUnit + the sample driver's test on the test kernel
#   make kcsan | kasan | rt
#                     check + torture on a KCSAN, a KASAN + kmemleak, or a
#                     PREEMPT_RT debug kernel
#   make torture      the torture module (PARAMS=duration=60)
#   make fuzz         the seeded syscall fuzzer of the sample driver on the
#                     KASAN kernel, fault injection on (sample/fuzz/);
#                     make fuzz-planted: the bugs it must catch
#   make soak         torture + fuzzer for PARAMS="minutes=N [handoffs=N]"
#                     -> results/soak.md
#   make stock        build, load, sample test and DKMS on a Debian kernel
#                     (KERNEL=6.1 | 6.1-rt | 6.12 | 6.12-rt; default 6.12)
#   make matrix       stock on all four, and KUnit on a 6.1 test kernel
#   make drivers      real drivers switched to atomic_waker (drivers/) and
#                     their originals, on 6.12 and on the KASAN kernel;
#                     make drivers-compare: side by side -> results/
#   make user-check | user-mutants | model-check | litmus
#   make lint         checkpatch --strict, sparse, W=1, kernel-doc
#   make bench | bench-kernel   benchmarks -> results/
#   make bench-ab [REV=ca378ad]  in-kernel A/B of REV vs this tree -> results/
#   make patches | patches-check  the upstream series (scripts/patches.py)
#   make ci           what .ci/run runs; make check-all: every check
# VM targets take KERNEL=, SMP=, TIMEOUT= and PARAMS="name=value ...".

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

KDIR ?= /lib/modules/$(shell uname -r)/build

.PHONY: all modules modules_install clean
all: modules
modules modules_install clean:
	@test -f $(KDIR)/Makefile || { echo "no kernel build tree at $(KDIR):" \
		"apt-get install linux-headers-$$(uname -r), or set KDIR=" \
		"(make check builds its own test kernel)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

# ---- checks ----------------------------------------------------------------

VM := scripts/vm.py $(if $(KERNEL),--kernel $(KERNEL)) \
	$(if $(SMP),--smp $(SMP)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) \
	$(foreach p,$(PARAMS),--param $(p))
DEPS := scripts/deps.sh

VM_TARGETS := run check kcsan kasan rt torture stock drivers drivers-compare \
	fuzz fuzz-planted soak
.PHONY: $(VM_TARGETS) matrix user-check user-mutants model-check litmus \
	lint bench bench-kernel bench-ab deps ci check-all patches \
	patches-check
$(VM_TARGETS):
	@$(DEPS)
	@$(VM) $@

matrix:
	@$(DEPS)
	@$(VM) --table results/matrix.md matrix

user-check user-mutants:
	@$(DEPS) clang
	@$(MAKE) --no-print-directory -C user $(@:user-%=%)

model-check:
	@$(DEPS) spin
	@model/run.sh

litmus:
	@model/litmus.sh

lint:
	@$(DEPS)
	@scripts/lint.sh

bench:
	@$(DEPS) librust-futures-core-dev librust-atomic-waker-dev librust-cc-dev
	@bench/run.sh

bench-kernel:
	@$(DEPS)
	@bench/run.sh --kernel-only bench

bench-ab:
	@$(DEPS)
	@bench/ab.py $(REV)

patches:
	@scripts/patches.py generate

patches-check:
	@$(DEPS) python3-sphinx python3-sphinx-rtd-theme python3-ply python3-git
	@scripts/patches.py check

deps:
	@$(DEPS)

# CI's tier (what fits in its 90 minutes) and every check; .ci/run sums
# their "N passed, N failed" lines.
CI_STEPS := check user-check model-check litmus torture kcsan kasan rt \
	matrix drivers fuzz patches-check
ALL_STEPS := $(CI_STEPS) user-mutants lint fuzz-planted soak
.PHONY: ci-steps
ci-steps:
	@echo $(CI_STEPS)
ci:
	@.ci/run $(CI_STEPS)
check-all:
	@.ci/run $(ALL_STEPS)

endif
