# SPDX-License-Identifier: GPL-2.0
#
# vtcp: build the module for every supported kernel, the tools and the
# tests; run the tests and the demo in QEMU.
#
#   make                 module for each installed kernel, tools, tests
#   make KVER=<release>  module for one kernel
#   make W=1 / C=1       extra warnings / sparse, passed to Kbuild
#   make deps            install what is missing (Debian 12, as root)
#   make check           the whole test suite in VMs, on both kernels
#   make demo            the demo, in a VM
#   make bench           vtcp against Linux TCP, in a VM (scripts/bench)
#   make checkpatch      checkpatch.pl --strict over every source file
#   make clean

KVER ?= $(shell scripts/kernels 2>/dev/null)
BUILD := $(CURDIR)/build

# Directories and files a module build sees, linked into build/<release>/.
KSRC := Kbuild mod include selftests/modules

.PHONY: all modules tools selftests deps check demo bench checkpatch clean \
	$(addprefix module-,$(KVER))

all: modules tools selftests

modules: $(addprefix module-,$(KVER))
	@test -n "$(KVER)" || { echo "no kernel installed: run 'make deps'" >&2; exit 1; }

$(addprefix module-,$(KVER)): module-%:
	@mkdir -p $(BUILD)/$*/selftests
	@cd $(BUILD)/$* && for f in $(KSRC); do \
		mkdir -p $$(dirname $$f); \
		cp -rsf $(CURDIR)/$$f $$(dirname $$f)/; \
	done
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/$* modules

tools:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps

check: deps
	@$(MAKE) --no-print-directory all
	@scripts/check

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: deps
	@scripts/bench $(BENCH_ARGS)

checkpatch:
	@scripts/checkpatch

clean:
	rm -rf $(BUILD)
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	$(MAKE) -C selftests clean
