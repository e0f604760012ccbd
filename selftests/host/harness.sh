#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness.sh KERNEL: the VM harness's own test, run on the host. vm-run
# must pass CMD's exit status through and fail on a kernel splat: a
# module that does WARN_ON(1) on load must make it exit 125. With the
# debug kernel (KERNEL "debug"), so must its KASAN, UBSAN, lockdep and
# debug objects reports, and a leak once scripts/kmemleak scans. With
# Debian's kernels, vm-pair must join KERNEL (guest 1) and the other
# series (guest 2) by a link that carries pings both ways, share VM_OUT
# between them, and return the status of the guest that failed; with the
# newest series' kernel only (once per make check), guest 2 crashes
# (scripts/vm-crash) and boots again while guest 1 watches it go and come
# back, and a test that leaves vtcp in use fails without failing the
# tests after it.

# shellcheck disable=SC2317 # the cases run through ktap_run
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
	rm -f /tmp/harness.$$
}
ktap_case debug_splats $((1 + ${#DEBUG_SPLATS[@]}))

# The other series' kernel, or KERNEL's again if it is alone.
other_kernel() {
	local r

	for r in $(scripts/kernels 2>/dev/null); do
		[ "$r" = "$rel" ] || { echo "$r"; return; }
	done
	echo "$rel"
}

# Each guest pings the other once both are up, leaves the verdict in
# VM_OUT, reads the other's once both are done; guest 2 then exits 3.
# shellcheck disable=SC2016 # expanded by the guests' sh
PAIR_CMD='scripts/vm-sync up &&
	busybox ping -c 3 -W 5 "$VM_NET_PEER" >/dev/null &&
	busybox ping -6 -c 2 -W 5 "$VM_NET_PEER6" >/dev/null
	echo $? >"$VM_OUT/ping.$VM_ROLE"
	scripts/vm-sync done || exit 1
	cp "$VM_OUT/ping.$((3 - VM_ROLE))" "$VM_OUT/seen.$VM_ROLE"
	[ "$VM_ROLE" = 1 ] || exit 3'

pair() {
	local other out s seen

	other=$(other_kernel)
	out=$(mktemp -d)
	scripts/vm-pair -k "$rel" -k "$other" --no-module --out "$out" \
		-- sh -c "$PAIR_CMD" >/tmp/harness.$$ 2>&1
	s=$?
	ktap_check "vm-pair $rel + $other: guest 2's status comes back (3, got $s)" \
		[ "$s" = 3 ]
	ktap_check "vm-pair: guest 1 pings guest 2 (IPv4, IPv6)" \
		grep -qx 0 "$out/ping.1"
	ktap_check "vm-pair: guest 2 pings guest 1 (IPv4, IPv6)" \
		grep -qx 0 "$out/ping.2"
	seen=no
	cmp -s "$out/ping.1" "$out/seen.2" && cmp -s "$out/ping.2" "$out/seen.1" &&
		seen=yes
	ktap_check "vm-pair: each guest reads what the other wrote in VM_OUT" \
		[ "$seen" = yes ]
	[ "$ktap_fails" = 0 ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 30
	rm -rf "$out" /tmp/harness.$$
}
ktap_case pair 4

# Guest 2's first incarnation crashes once guest 1 has pinged it; guest 1
# pings until it is gone, then until it is back; the second incarnation
# exits 3, which must be vm-pair's status: the killed one's does not count.
# shellcheck disable=SC2016 # expanded by the guests' sh
CRASH_CMD='echo "$VM_INCARNATION" >>"$VM_OUT/incarnations.$VM_ROLE"
	if [ "$VM_ROLE" = 2 ]; then
		if [ "$VM_INCARNATION" = 1 ]; then
			scripts/vm-sync up && scripts/vm-sync pinged &&
				exec scripts/vm-crash
			exit 1
		fi
		scripts/vm-sync back 120
		exit 3
	fi
	scripts/vm-sync up && busybox ping -c 1 -W 5 "$VM_NET_PEER" >/dev/null &&
		scripts/vm-sync pinged || exit 1
	i=0
	while busybox ping -c 1 -W 1 "$VM_NET_PEER" >/dev/null; do
		i=$((i + 1))
		[ $i -lt 30 ] || exit 1
		sleep 0.2
	done
	echo gone >"$VM_OUT/seen"
	i=0
	until busybox ping -c 1 -W 1 "$VM_NET_PEER" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 120 ] || exit 1
		sleep 0.5
	done
	echo back >>"$VM_OUT/seen"
	scripts/vm-sync back 120'

pair_crash() {
	local other out s inc fails=$ktap_fails

	other=$(other_kernel)
	out=$(mktemp -d)
	scripts/vm-pair -k "$rel" -k "$other" --no-module --out "$out" \
		-- sh -c "$CRASH_CMD" >/tmp/harness.$$ 2>&1
	s=$?
	ktap_check "vm-pair: guest 2 crashes and boots again; the last boot's status counts (3, got $s)" \
		[ "$s" = 3 ]
	inc=$(tr '\n' ' ' <"$out/incarnations.2" 2>/dev/null)
	inc+=/$(cat "$out/incarnations.1" 2>/dev/null)
	ktap_check "vm-pair: VM_INCARNATION: guest 2's 1 then 2, guest 1's 1 (got $inc)" \
		[ "$inc" = "1 2 /1" ]
	ktap_check "vm-pair: guest 1 pings guest 2, gone after the crash, back after the boot" \
		[ "$(cat "$out/seen" 2>/dev/null)" = "$(printf 'gone\nback')" ]
	[ "$ktap_fails" = "$fails" ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 30
	rm -rf "$out" /tmp/harness.$$
}
ktap_case pair_crash 3

# The crash case runs for the newest series only: once per make check.
crash_too=no
[ "$rel" = debug ] || [ "$rel" != "$(scripts/kernels 2>/dev/null | tail -n 1)" ] ||
	crash_too=yes

exit_status() {
	local s

	s=$(status_of sh -c 'exit 3')
	ktap_check "CMD's exit status comes back (3, got $s)" [ "$s" = 3 ]
}
ktap_case exit_status 1

warn_on() {
	local s

	s=$(status_of insmod "$splat")
	ktap_check "a WARN_ON in the guest fails the run with 125 (got $s)" [ "$s" = 125 ]
	ktap_check "the splat is printed" grep -q 'vm-run: dmesg:.*WARNING' /tmp/harness.$$
	[ "$s" = 125 ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 20
}
ktap_case warn_on 2

# A test that leaves vtcp in use fails, and only it: scripts/check runs
# the tests after it in a new guest (run_tests stops at a stuck module).
stuck_module() {
	local out

	out=$(scripts/check -k "$rel" --no-pair --no-host \
		-t host/harness/leaks.sh -t host/harness/passes.sh 2>&1)
	ktap_check "a test that leaves vtcp in use fails" \
		grep -q "^not ok 1 .*: host/harness/leaks.sh" <<<"$out"
	ktap_check "the test after it passes, in a second boot of the guest" \
		grep -q "^ok 2 .*: host/harness/passes.sh" <<<"$out"
	ktap_check "the second boot ran only the tests not run yet" \
		[ "$(grep -c "run in the boot" <<<"$out")" = 1 ]
	ktap_check "each guest's log is clean, and that is all" \
		grep -q "^2 passed, 1 failed, 0 skipped" <<<"$out"
	[ "$ktap_fails" = 0 ] || sed 's/^/# /' <<<"$out" | tail -n 40
}
ktap_case stuck_module 4

if [ "$rel" = debug ]; then
	ktap_run exit_status warn_on debug_splats
elif [ "$crash_too" = yes ]; then
	ktap_run exit_status warn_on pair pair_crash stuck_module
else
	ktap_run exit_status warn_on pair
fi
