#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/vtcpcat carries a file between two namespaces byte-exact, and the
# TIME-WAIT it leaves is a small object, not a full socket (the sizes, with
# TCP's for comparison, are printed for Documentation/vtcp.rst).

# shellcheck disable=SC2317 # the cases run through ktap_run
cd "$(dirname "$0")" || exit 1
. ./lib.sh

cat=../tools/vtcpcat
file=/tmp/vtcpcat.in

objsize() { awk -v n="$1" '$1 == n { print $4 }' /proc/slabinfo; }
tw_active() { awk '$1 == "tw_sock_VTCP" { print $2 }' /proc/slabinfo; }

# vtcpcat carries a file each way between namespaces a and b.
vtcpcat_both_ways() {
	ip netns add a && ip netns add b
	ip link add a0 netns a type veth peer name b0 netns b
	ip -n a addr add 10.0.0.1/24 dev a0 && ip -n a link set a0 up
	ip -n b addr add 10.0.0.2/24 dev b0 && ip -n b link set b0 up
	head -c 3000000 /dev/urandom >"$file"

	ip netns exec b "$cat" -l 10.0.0.2 9000 >/tmp/vtcpcat.out &
	sleep 1
	ip netns exec a "$cat" 10.0.0.2 9000 <"$file"
	wait
	ktap_check "vtcpcat: 3 MB a->b byte-exact" cmp -s "$file" /tmp/vtcpcat.out

	ip netns exec b sh -c "$cat -l 9001 <$file" &
	sleep 1
	ip netns exec a "$cat" 10.0.0.2 9001 </dev/null >/tmp/vtcpcat.back
	wait
	ktap_check "vtcpcat: 3 MB b->a byte-exact" cmp -s "$file" /tmp/vtcpcat.back
}
ktap_case vtcpcat_both_ways 2

# What their TIME-WAIT left behind.
timewait_objects() {
	local tw full

	ktap_check "the connections left TIME-WAIT objects" \
		eval '[ "$(tw_active)" -ge 1 ]'
	tw=$(objsize tw_sock_VTCP)
	full=$(objsize VTCP)
	ktap_msg "slab objects: vtcp TIME-WAIT $tw bytes, vtcp socket $full bytes;" \
		"TCP TIME-WAIT $(objsize tw_sock_TCP), TCP socket $(objsize TCP)"
	ktap_check "TIME-WAIT holds a small object ($tw bytes), not a socket ($full)" \
		eval '[ -n "$tw" ] && [ -n "$full" ] && [ $((tw * 4)) -le "$full" ]'
}
ktap_case timewait_objects 2

ktap_run vtcpcat_both_ways timewait_objects
