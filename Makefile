# SPDX-License-Identifier: GPL-2.0
#
# vtcp: build the module for every supported kernel, the tools and the
# tests; run the tests and the demo in QEMU.
#
#   make                 module for each installed kernel (and the debug
#                        kernel if built), tools, tests
#   make KVER=<release>  module for one kernel
#   make KVER=debug      module for the debug kernel, in build/debug/
#   make W=1 / C=1       extra warnings / sparse, passed to Kbuild
#   make deps            install what is missing (Debian 12, as root)
#   make check           the whole test suite in VMs, on both kernels
#   make debug-kernel    build (once, cached) the KASAN/lockdep/kmemleak
#                        guest kernel (scripts/debug-kernel)
#   make check-debug     the whole suite under it, then a kmemleak scan
#   make demo            the demo, in a VM
#   make bench           vtcp against Linux TCP, in a VM (scripts/bench)
#   make checkpatch      checkpatch.pl --strict over every source file
#   make dkms-src        the DKMS source tree, in build/dkms/vtcp-<version>/
#   make install-dkms-src   it, as /usr/src/vtcp-<version>/ (for dkms add)
#   make clean

# The installed Debian kernels, and the debug kernel once it is built.
ifndef KVER
KVER := $(shell scripts/kernels 2>/dev/null) \
	$(shell scripts/debug-kernel --path >/dev/null 2>&1 && echo debug)
endif
BUILD := $(CURDIR)/build

# Directories and files a module build sees, linked into build/<release>/.
KSRC := Kbuild VERSION mod include selftests/modules

# The one version (Kbuild and tools/vtcp read the same file).
VERSION := $(shell cat VERSION)

# What the module alone needs: DKMS's tree.
MODSRC := Kbuild VERSION $(wildcard mod/*.c mod/*.h) include/uapi/linux/vtcp.h

.PHONY: all modules tools selftests deps check demo bench checkpatch clean \
	debug-kernel check-debug $(addprefix module-,$(KVER) debug) \
	dkms-src install-dkms-src

all: modules tools selftests

modules: $(addprefix module-,$(KVER))
	@test -n "$(KVER)" || { echo "no kernel installed: run 'make deps'" >&2; exit 1; }

# The kbuild tree of a release; "debug" is the cached debug kernel's.
kbuild = $(if $(filter debug,$(1)),$$(scripts/debug-kernel --path)/build,/lib/modules/$(1)/build)

$(sort $(addprefix module-,$(KVER) debug)): module-%:
	@test $* != debug || scripts/debug-kernel --path >/dev/null || \
		{ echo "no debug kernel built: run 'make debug-kernel'" >&2; exit 1; }
	@mkdir -p $(BUILD)/$*/selftests
	@cd $(BUILD)/$* && for f in $(KSRC); do \
		mkdir -p $$(dirname $$f); \
		cp -rsf $(CURDIR)/$$f $$(dirname $$f)/; \
	done
	$(MAKE) -C $(call kbuild,$*) M=$(BUILD)/$* modules

tools:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps

check: deps
	@$(MAKE) --no-print-directory all
	@scripts/check

debug-kernel:
	@scripts/debug-kernel

check-debug: deps debug-kernel
	@$(MAKE) --no-print-directory tools selftests module-debug
	@scripts/check --debug

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: deps
	@scripts/bench $(BENCH_ARGS)

checkpatch:
	@scripts/checkpatch

# DKMS: the module's sources and dkms.conf, with the version filled in.
dkms-src:
	@rm -rf $(BUILD)/dkms/vtcp-$(VERSION)
	@$(MAKE) --no-print-directory install-dkms-src \
		DKMS_SRC_DIR=$(BUILD)/dkms/vtcp-$(VERSION)
	@echo "$(BUILD)/dkms/vtcp-$(VERSION)"

DKMS_SRC_DIR ?= $(DESTDIR)/usr/src/vtcp-$(VERSION)
install-dkms-src:
	@for f in $(MODSRC); do \
		install -D -m 644 $$f $(DKMS_SRC_DIR)/$$f || exit 1; \
	done
	@sed '/^PACKAGE_VERSION=/s/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC_DIR)/dkms.conf

clean:
	rm -rf $(BUILD)
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	$(MAKE) -C selftests clean
