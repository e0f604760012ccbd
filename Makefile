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
#   make unit            unit tests of mod/'s logic, on the host (seconds)
#   make unit-coverage   the same, with the lines of mod/ they run (gcov)
#   make check           the unit tests, then the whole test suite in VMs,
#                        on both kernels, the packages' test included
#   make check-packages  the packages' test alone: make deb's packages (and
#                        make install) in a guest of each kernel
#                        (selftests/packages.sh)
#   make debug-kernel    build (once, cached) the KASAN/lockdep/kmemleak
#                        guest kernel (scripts/debug-kernel)
#   make check-debug     the whole suite under it, then a kmemleak scan,
#                        and the module's coverage (build/coverage/)
#   make coverage        lines and functions of mod/ the debug suite runs
#                        (scripts/coverage; runs the suite if no fresh data)
#   make demo            the demo, in a VM
#   make bench           vtcp against Linux TCP, in a VM (scripts/bench)
#   make checkpatch      checkpatch.pl --strict over every source file,
#                        then make kernel-doc
#   make kernel-doc      each prototype of mod/ in its file's header, with
#                        kernel-doc -Wall clean at its definition
#   make install         the module for the running kernel (KVER= names
#                        others) under /lib/modules/<release>/extra, depmod,
#                        the tools under PREFIX (/usr/local); DESTDIR= stages
#   make uninstall       the same files removed
#   make dkms-src        the DKMS source tree, in build/dkms/vtcp-<version>/
#   make install-dkms-src   it, as /usr/src/vtcp-<version>/ (for dkms add)
#   make deb             build/deb/vtcp-dkms_<version>_all.deb and
#                        vtcp-tools_<version>_<arch>.deb (debian/), lintian
#   make clean

# make install's kernels: those KVER= names, else the running one.
INSTALL_KVER := $(or $(KVER),$(shell uname -r))

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

# What the module alone needs: make install's and DKMS's trees.
MODSRC := Kbuild VERSION $(wildcard mod/*.c mod/*.h) include/uapi/linux/vtcp.h

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/vtcp
UDEVDIR ?= /etc/udev/rules.d
INSTALL_MOD_DIR ?= extra
# The tools installed (vtcpfuzz and vtcpsack are the tests'), their pages.
TOOLS := tools/vtcp/vtcp tools/vtcpcat tools/vtcpperf
MAN1 := Documentation/vtcpcat.1 Documentation/vtcpperf.1
MAN7 := Documentation/vtcp.7
MAN8 := Documentation/vtcp.8

.PHONY: all modules tools selftests deps check demo bench checkpatch \
	kernel-doc clean unit unit-coverage clean-unit check-packages \
	debug-kernel check-debug coverage $(addprefix module-,$(KVER) debug) \
	install uninstall install-modules uninstall-modules install-tools \
	uninstall-tools dkms-src install-dkms-src deb \
	$(addprefix install-module-,$(INSTALL_KVER)) \
	$(addprefix install-tree-,$(INSTALL_KVER)) \
	$(addprefix uninstall-module-,$(INSTALL_KVER))

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

# Unit tests: mod/ files built against a mock kernel (unit/), run on the
# host; make check runs them first, a failure stopping it.
unit:
	@$(MAKE) --no-print-directory -C unit O=$(BUILD)/unit

unit-coverage:
	@$(MAKE) --no-print-directory -C unit O=$(BUILD)/unit COVERAGE=1

clean-unit:
	rm -rf $(BUILD)/unit $(BUILD)/unit-coverage

# make check builds the packages (lintian checks them), and scripts/check
# installs them in a guest of each kernel (selftests/host/packages.sh).
check: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory all
	@echo "make deb >build/deb.log"
	@$(MAKE) --no-print-directory deb >$(BUILD)/deb.log 2>&1 || \
		{ tail -n 40 $(BUILD)/deb.log; exit 1; }
	@scripts/check

# The packages' test alone (selftests/host/packages.sh on each Debian
# kernel, side by side).
check-packages: deps
	@$(MAKE) --no-print-directory all
	@echo "make deb >build/deb.log"
	@$(MAKE) --no-print-directory deb >$(BUILD)/deb.log 2>&1 || \
		{ tail -n 40 $(BUILD)/deb.log; exit 1; }
	@CHECK_PACKAGES=only scripts/check

debug-kernel:
	@scripts/debug-kernel

# The counters of each VM come back to build/coverage/data (a copy of a few
# files per VM); the figure is printed last, whatever the suite's verdict.
check-debug: deps debug-kernel
	@$(MAKE) --no-print-directory tools selftests module-debug
	@rm -rf $(BUILD)/coverage/data
	@VTCP_GCOV_OUT=$(BUILD)/coverage/data scripts/check --debug; rc=$$?; \
		scripts/coverage --report --brief || true; exit $$rc

coverage: deps debug-kernel
	@$(MAKE) --no-print-directory tools selftests module-debug
	@scripts/coverage $(COVERAGE_ARGS)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: deps
	@scripts/bench $(BENCH_ARGS)

checkpatch:
	@scripts/checkpatch

kernel-doc:
	@scripts/check-headers && scripts/kernel-doc

# make install, for a system without DKMS: per release, a tree of links to
# the module's sources alone (no test modules) in build/install/<release>/,
# built and installed by the kernel's modules_install (which compresses as
# the kernel's configuration says), then depmod, unless DESTDIR stages the
# files for a package. Not signed: the key a distribution kernel's
# CONFIG_MODULE_SIG_ALL names is its builder's (Documentation/install.rst
# signs with a MOK instead).
install: install-modules install-tools
uninstall: uninstall-modules uninstall-tools

install-modules: $(addprefix install-module-,$(INSTALL_KVER))
uninstall-modules: $(addprefix uninstall-module-,$(INSTALL_KVER))

# install-tree-<release>: that tree, built (make install's first half).
$(addprefix install-tree-,$(INSTALL_KVER)): install-tree-%:
	@test -d /lib/modules/$*/build || { echo "make install: no headers" \
		"for kernel $* (/lib/modules/$*/build); name one with KVER=" >&2; \
		exit 1; }
	@mkdir -p $(BUILD)/install/$*
	@cd $(BUILD)/install/$* && for f in $(MODSRC); do \
		mkdir -p $$(dirname $$f) && ln -sf $(CURDIR)/$$f $$f; \
	done
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/install/$* modules

$(addprefix install-module-,$(INSTALL_KVER)): install-module-%: install-tree-%
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/install/$* \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),@echo "DESTDIR is set: not running depmod $*",depmod -a $*)

$(addprefix uninstall-module-,$(INSTALL_KVER)): uninstall-module-%:
	rm -f $(foreach z,.ko .ko.gz .ko.xz .ko.zst,\
		$(DESTDIR)/lib/modules/$*/$(INSTALL_MOD_DIR)/vtcp$(z))
	-@rmdir $(DESTDIR)/lib/modules/$*/$(INSTALL_MOD_DIR) 2>/dev/null
	$(if $(DESTDIR),,test ! -e /lib/modules/$*/modules.dep || depmod -a $*)

install-tools: tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples/modprobe.d \
		$(DESTDIR)$(DOCDIR)/examples/sysctl.d $(DESTDIR)$(UDEVDIR)
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 config/modprobe.d/vtcp.conf \
		$(DESTDIR)$(DOCDIR)/examples/modprobe.d/
	install -m 644 config/sysctl.d/vtcp.conf \
		$(DESTDIR)$(DOCDIR)/examples/sysctl.d/
	install -m 644 config/udev/60-vtcp.rules $(DESTDIR)$(UDEVDIR)/

uninstall-tools:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(DESTDIR)$(MANDIR)/man7/vtcp.7 $(DESTDIR)$(MANDIR)/man8/vtcp.8 \
		$(DESTDIR)$(UDEVDIR)/60-vtcp.rules \
		$(DESTDIR)$(DOCDIR)/examples/modprobe.d/vtcp.conf \
		$(DESTDIR)$(DOCDIR)/examples/sysctl.d/vtcp.conf
	-@rmdir $(DESTDIR)$(DOCDIR)/examples/modprobe.d \
		$(DESTDIR)$(DOCDIR)/examples/sysctl.d $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

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

# The Debian packages, built in a copy of the sources (build/deb/src/)
# whose debian/changelog is made from NEWS, then checked by lintian
# where it is installed (make deps): a warning fails the build. The
# packages land in build/deb/. What building needs: make deps, or
# apt-get build-dep ./ for the packages alone.
DEB_SRC := $(BUILD)/deb/src/vtcp-$(VERSION)
deb:
	@rm -rf $(BUILD)/deb
	@mkdir -p $(DEB_SRC)
	@tar -cf - --exclude=./build --exclude=./.git --exclude=./selftests \
		--exclude='*.o' . | tar -xf - -C $(DEB_SRC)
	scripts/deb-changelog NEWS debian/control >$(DEB_SRC)/debian/changelog
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	@mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/src/*.buildinfo \
		$(BUILD)/deb/src/*.changes $(BUILD)/deb/
	@if command -v lintian >/dev/null; then \
		echo "lintian --fail-on error,warning vtcp_$(VERSION)_*.changes"; \
		lintian --fail-on error,warning \
			$(BUILD)/deb/vtcp_$(VERSION)_*.changes || exit 1; \
	else \
		echo "lintian is not installed: the packages are not checked"; \
	fi
	@ls -l $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	$(MAKE) -C selftests clean
