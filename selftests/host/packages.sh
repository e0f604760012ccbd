#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packages.sh KERNEL: selftests/packages.sh in a guest of KERNEL (6.1,
# 6.12 or a release) booted without the harness's module: the Debian
# packages of make deb, installed, used and purged, then make install
# and make uninstall. The DKMS builds in the guest read the compiler
# cache scripts/dkms-cache fills here first; make install's build is done
# here first too. Exits with the guest's status: 4 when every case
# skipped.

cd "$(dirname "$0")/../.." || exit 1

k=${1:-6.12}
rel=$(scripts/kernels "$k") || exit 1
timeout=${PACKAGES_TIMEOUT:-1500}

# The cache's directory is dkms-cache's last line; what else it says, a
# log (the kernel's build speaks on stderr even when it succeeds).
log=$(mktemp)
if ! VTCP_CCACHE_DIR=$(flock build/.dkms-cache.lock scripts/dkms-cache \
			2>"$log" | tail -n 1) || [ ! -d "$VTCP_CCACHE_DIR" ]; then
	echo "# no compiler cache for the guest (DKMS compiles under TCG:"
	echo "# allow an hour):"
	tail -n 20 "$log" | sed 's/^/#   /'
	VTCP_CCACHE_DIR=
fi
rm -f "$log"
export VTCP_CCACHE_DIR
# make install's tree, built here as "make && make install" would: the
# guest's make install finds it up to date, then installs it.
make -s install-tree-"$rel" KVER="$rel" >/dev/null ||
	echo "# make install-tree-$rel failed: the guest builds it"
exec scripts/vm-run -k "$rel" --no-module --timeout "$timeout" -- \
	selftests/packages.sh
