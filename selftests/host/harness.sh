#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness.sh KERNEL: the VM harness's own test, run on the host. vm-run
# must pass CMD's exit status through and fail on a kernel splat: a
# module that does WARN_ON(1) on load must make it exit 125. With the
# debug kernel (KERNEL "debug"), so must its KASAN, UBSAN, lockdep and
# debug objects reports, and a leak once scripts/kmemleak scans.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

k=${1:-6.12}
if [ "$k" = debug ]; then
	rel=debug
else
	rel=$(scripts/kernels "$k") || exit 1
fi
splat=build/$rel/selftests/modules/vtcp_splat.ko

# status_of CMD...: the exit status of vm-run running CMD.
status_of() {
	scripts/vm-run -k "$rel" --no-module -- "$@" >/tmp/harness.$$ 2>&1
	echo $?
}

# The debug kernel's checkers, each with what its report says (an
# extended regular expression; KFENCE may catch the use after free
# first). Lockdep goes first: the taint of any other report turns lock
# debugging off.
DEBUG_SPLATS=(
	"lockdep:WARNING: possible circular locking dependency detected"
	"kasan:BUG: (KASAN|KFENCE): (slab-)?use-after-free"
	"ubsan:UBSAN: shift-out-of-bounds in"
	"odebug:ODEBUG: free active .* object type: timer_list"
	"leak:kmemleak: [0-9]+ new suspected memory leaks"
)

# One boot loads vtcp_splat with each kind in turn (a boot of the debug
# kernel takes a minute): since any pattern of scripts/splat-patterns
# fails a run, each report that vm-run prints would fail one alone.
debug_splats() {
	local d kind script="set -e; scripts/kmemleak forget"

	for d in "${DEBUG_SPLATS[@]}"; do
		kind=${d%%:*}
		script+="; insmod $splat kind=$kind"
		[ "$kind" != leak ] || script+="; scripts/kmemleak check || true"
		script+="; rmmod vtcp_splat"
	done
	s=$(status_of sh -c "$script")
	ktap_check "debug kernel: the splats fail the run with 125 (got $s)" [ "$s" = 125 ]
	for d in "${DEBUG_SPLATS[@]}"; do
		ktap_check "debug kernel: kind=${d%%:*} is caught: \"${d#*:}\"" \
			grep -qE "vm-run: dmesg:.*${d#*:}" /tmp/harness.$$
	done
	[ "$ktap_fails" = 0 ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 40
}

if [ "$rel" = debug ]; then
	ktap_header $((4 + ${#DEBUG_SPLATS[@]}))
else
	ktap_header 3
fi

s=$(status_of sh -c 'exit 3')
ktap_check "CMD's exit status comes back (3, got $s)" [ "$s" = 3 ]

s=$(status_of insmod "$splat")
ktap_check "a WARN_ON in the guest fails the run with 125 (got $s)" [ "$s" = 125 ]
ktap_check "the splat is printed" grep -q 'vm-run: dmesg:.*WARNING' /tmp/harness.$$
[ "$s" = 125 ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 20

[ "$rel" != debug ] || debug_splats
rm -f /tmp/harness.$$

ktap_finish
