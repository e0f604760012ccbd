#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading: the protocol registration, the "proto" parameter
# (valid, taken, out of range), module pinning by open sockets, and
# autoloading by socket().

# shellcheck disable=SC2317 # the cases run through ktap_run
cd "$(dirname "$0")" || exit 1
. ./lib.sh

ready=/tmp/hold_socket.ready

can_open() { ./hold_socket "$1" - 2>/dev/null; }

hold_open() {
	rm -f "$ready"
	./hold_socket "$1" "$ready" &
	holder=$!
	wait_for test -e "$ready"
}

release() { kill "$holder" && wait "$holder" 2>/dev/null; }

listed_in_protocols() { grep -q '^VTCP ' /proc/net/protocols; }

dmesg_says() { dmesg | tail -n 20 | grep -q "vtcp: $1"; }

# insmod_refused WHY ARGS...: insmod fails and dmesg says WHY.
insmod_refused() {
	local why=$1
	shift
	vtcp_unload || return 1
	! insmod "$(vtcp_module)" "$@" 2>/dev/null && ! vtcp_loaded &&
		dmesg_says "$why"
}

# Registration, and the module pinned by an open socket.
load_and_unload() {
	vtcp_load
	ktap_check "insmod registers the protocol" listed_in_protocols
	ktap_check "socket(AF_INET, SOCK_STREAM, 253) succeeds" can_open 253

	hold_open 253
	ktap_check "rmmod is refused while a socket is open" \
		eval '! rmmod vtcp 2>/dev/null && vtcp_loaded'
	release
	ktap_check "rmmod succeeds once the socket is closed" rmmod vtcp
	ktap_check "rmmod unregisters the protocol" eval '! listed_in_protocols'
}
ktap_case load_and_unload 5

proto_254() {
	vtcp_load proto=254
	ktap_check "proto=254: socket() on 254 works" can_open 254
	ktap_check "proto=254: socket() on 253 fails" eval '! can_open 253'
	ktap_check "proto=254: parameter visible in sysfs" \
		grep -qx 254 /sys/module/vtcp/parameters/proto
}
ktap_case proto_254 3

protocols_taken() {
	ktap_check "proto=6 (TCP's) is refused" insmod_refused "IP protocol 6 is already taken" proto=6
	ktap_check "proto=17 (UDP's) is refused" insmod_refused "IP protocol 17 is already taken" proto=17
}
ktap_case protocols_taken 2

OUT_OF_RANGE=(0 255 300 -1)
out_of_range() {
	local p

	for p in "${OUT_OF_RANGE[@]}"; do
		ktap_check "proto=$p is refused as out of range" \
			insmod_refused "proto=$p is out of range" "proto=$p"
	done
}
ktap_case out_of_range ${#OUT_OF_RANGE[@]}

# Autoload: socket() makes the kernel ask modprobe for
# net-pf-2-proto-253-type-1, which modules.alias (built by depmod from our
# MODULE_ALIAS) maps to vtcp. A module tree holding only vtcp keeps depmod
# fast; a wrapper named in /proc/sys/kernel/modprobe points modprobe at it
# and records what the kernel asked for.
autoload() {
	local root=/tmp/modroot rel asked=/tmp/modprobe.asked old ok

	rel=$(uname -r)
	mkdir -p "$root/lib/modules/$rel/updates"
	cp "$(vtcp_module)" "$root/lib/modules/$rel/updates/vtcp.ko"
	(cd "$root/lib/modules/$rel" &&
		touch modules.order modules.builtin modules.builtin.modinfo)
	depmod -b "$root" "$rel" || return 1
	printf '#!/bin/sh\necho "$@" >>%s\nexec /sbin/modprobe -d %s "$@"\n' \
		"$asked" "$root" >/tmp/modprobe-wrapper
	chmod +x /tmp/modprobe-wrapper
	old=$(cat /proc/sys/kernel/modprobe)
	echo /tmp/modprobe-wrapper >/proc/sys/kernel/modprobe
	vtcp_unload
	can_open 253
	ok=$?
	echo "$old" >/proc/sys/kernel/modprobe
	grep -q 'net-pf-2-proto-253-type-1' "$asked" && [ $ok = 0 ] && vtcp_loaded
}

autoloading() {
	ktap_check "socket() autoloads the module through its alias" autoload
}
ktap_case autoloading 1

ktap_run load_and_unload proto_254 protocols_taken out_of_range autoloading
