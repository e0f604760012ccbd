#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli.sh: the tools' IPv6, where no VM is needed. vtcp monitor and ladder
# read monitor -j files of both families (selftests/cli-ipv6.json is
# cli-ladder.json's connection between fd00::1 and fd00::2, written by
# hand); event_from_netlink() decodes VTCP_A_EV_SADDR6/DADDR6
# (cli_netlink.c, built with the tool's sources); vtcp ss refuses
# malformed addresses. Then, in a network namespace of its own (unshare
# -Urn), with the host kernel's TCP: vtcp -P 6 ss prints and filters
# IPv4, IPv6, V6ONLY and v4-mapped sockets as ss(8) does, and vtcpcat
# and vtcpperf -6 carry bytes. Needs tools/ built (make tools).

# shellcheck disable=SC2317 # the cases run through ktap_run
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

export TZ=UTC LC_ALL=C
V=tools/vtcp/vtcp
F4=selftests/cli-ladder.json
F6=selftests/cli-ipv6.json
tmp=$(mktemp -d /tmp/cli-host.XXXXXX) || exit 1

if [ ! -x $V ] || [ ! -x tools/vtcpcat ] || [ ! -x tools/vtcpperf ]; then
	echo "1..0 # SKIP tools/ is not built (make tools)"
	rmdir "$tmp"
	exit "$KSFT_SKIP"
fi

# check NAME CMD...: a case, with what CMD printed shown only if it fails.
check() {
	local name=$1

	shift
	if "$@" >"$tmp/out" 2>&1; then
		ktap_pass "$name"
	else
		sed 's/^/# /' "$tmp/out"
		ktap_fail "$name"
	fi
}

# v4_as_v6: IPv4 text turned into what the IPv6 fixture gives.
v4_as_v6() {
	sed -e 's/10\.0\.0\.1:\([0-9]*\)/[fd00::1]:\1/g' \
	    -e 's/10\.0\.0\.2:\([0-9]*\)/[fd00::2]:\1/g'
}

monitor_text() {
	diff <($V monitor --from $F6) <($V monitor --from $F4 | v4_as_v6) &&
		$V monitor --from $F6 | head -n 3 | grep -qF \
		"[fd00::2]:7 [fd00::1]:47780 sk:1 in [S] seq 3036455523"
}

# The header: this end over the left column, the peer over the right.
ladder_header() {
	local want

	want=$(printf '%9s  %-59s%s' ms "[fd00::1]:47780 (sk:2)" "[fd00::2]:7")
	[ "$($V ladder --from $F6 | head -n 1)" = "$want" ]
}

ladder_body() {
	diff <($V ladder --from $F6 | tail -n +2) \
	     <($V ladder --from $F4 | tail -n +2)
}

# status WANT CMD...: CMD exits WANT.
status() {
	local want=$1

	shift
	"$@" >/dev/null 2>&1
	[ $? = "$want" ] || { echo "$* did not exit $want"; return 1; }
}

ladder_filters() {
	status 0 $V ladder --from $F6 "[fd00::2]:7" &&
	status 0 $V ladder --from $F6 fd00::2 &&
	status 0 $V ladder --from $F6 :7 dport 7 &&
	status 2 $V ladder --from $F6 "[fd00::2]:8" &&
	status 2 $V ladder --from $F6 10.0.0.2 &&
	status 1 $V ladder --from $F6 "[fd00::2" &&
	status 1 $V ladder --from $F6 "[fd00::2]:x"
}

# One end's events from an AF_INET6 socket (v4-mapped), the other's from
# an AF_INET one: the cookie 2 socket is 10.0.0.1's.
mixed_families() {
	grep '"cookie":2,' $F4 | sed 's/"\(10\.0\.0\.[12]\)"/"::ffff:\1"/g' \
		>"$tmp/a.json"
	grep -v '"cookie":2,' $F4 >"$tmp/b.json"
	$V monitor -j --from "$tmp/a.json" | cmp -s - "$tmp/a.json" &&
	diff <($V ladder --from "$tmp/a.json" --from "$tmp/b.json" |
	       tail -n +2) <($V ladder --from $F4 | tail -n +2) &&
	status 0 $V ladder --from "$tmp/a.json" 10.0.0.2:7 &&
	$V monitor --from "$tmp/a.json" | head -n 1 | grep -qF \
		"[::ffff:10.0.0.1]:47780 [::ffff:10.0.0.2]:7 sk:2"
}

long_header() {
	local peer="[::ffff:10.0.0.2]:7" out

	sed -e 's/"10\.0\.0\.1"/"fd00:1111:2222:3333:4444:5555:6666:7777"/g' \
	    -e 's/"10\.0\.0\.2"/"::ffff:10.0.0.2"/g' \
	    -e 's/"cookie":2,/"cookie":18446744073709551615,/' $F4 \
		>"$tmp/long.json"
	out=$($V ladder --from "$tmp/long.json" | head -n 2)
	[ "$(sed -n 1p <<<"$out")" = "$(printf '%9s  %s' ms \
		"[fd00:1111:2222:3333:4444:5555:6666:7777]:47780 (sk:ffffffffffffffff)")" ] &&
	[ "$(sed -n 2p <<<"$out")" = "$(printf '%70s%s' "" "$peer")" ]
}

netlink_events() {
	local f

	mkdir -p "$tmp/nl" || return 1
	for f in tools/vtcp/*.c; do
		cc -std=gnu11 -Wall -Werror -Iinclude/uapi -Dmain=vtcp_main \
			-DVTCP_VERSION="\"$(cat VERSION)\"" \
			-c "$f" -o "$tmp/nl/$(basename "$f" .c).o" || return 1
	done
	cc -std=gnu11 -Wall -Werror -Iinclude/uapi -Itools/vtcp \
		-o "$tmp/nl/cli_netlink" selftests/host/cli_netlink.c \
		"$tmp"/nl/*.o -lmnl || return 1
	diff - <("$tmp/nl/cli_netlink") <<'EOF'
0 16:24:20.807262 10.0.0.1:47780 10.0.0.2:7 sk:2 out [S.] seq 100 ack 200 len 0 win 65535
0 {"time_ns":1795623860807262721,"type":"out","src":"10.0.0.1","sport":47780,"dst":"10.0.0.2","dport":7,"cookie":2,"flags":"SYN,ACK","seq":100,"ack":200,"len":0,"win":65535}
0 16:24:20.807262 [fd00::1]:47780 [fd00::2]:7 sk:3 out [S.] seq 100 ack 200 len 0 win 65535
0 {"time_ns":1795623860807262721,"type":"out","src":"fd00::1","sport":47780,"dst":"fd00::2","dport":7,"cookie":3,"flags":"SYN,ACK","seq":100,"ack":200,"len":0,"win":65535}
0 16:24:20.807262 [::ffff:10.0.0.2]:47780 [::ffff:10.0.0.1]:7 sk:4 out [S.] seq 100 ack 200 len 0 win 65535
0 {"time_ns":1795623860807262721,"type":"out","src":"::ffff:10.0.0.2","sport":47780,"dst":"::ffff:10.0.0.1","dport":7,"cookie":4,"flags":"SYN,ACK","seq":100,"ack":200,"len":0,"win":65535}
0 16:24:20.807262 [fe80::1]:47780 [fe80::2]:7 sk:0 out [S.] seq 100 ack 200 len 0 win 65535
0 {"time_ns":1795623860807262721,"type":"out","src":"fe80::1","sport":47780,"dst":"fe80::2","dport":7,"cookie":0,"flags":"SYN,ACK","seq":100,"ack":200,"len":0,"win":65535}
-74
EOF
}

# refused ARGS WORDS: vtcp ss ARGS exits 1 and says WORDS.
refused() {
	local err

	err=$($V ss $1 2>&1 >/dev/null)
	[ $? = 1 ] && grep -qF "$2" <<<"$err" || {
		echo "vtcp ss $1: $err"
		return 1
	}
}

ss_refuses() {
	refused "src fd00::/129" "the prefix length of IPv6 is 0 to 128" &&
	refused "dst 10.0.0.1/33" "the prefix length of IPv4 is 0 to 32" &&
	refused "dst [::1" "brackets are" &&
	refused "src [::1]/64" "brackets are" &&
	refused "dst [fd00::2]:65536" "bad port" &&
	refused "dst fd00::zz" "not an IPv4 or IPv6 address" &&
	refused "dst 10.0.0.256:7" "not an IPv4 or IPv6 address"
}

# listening PORT: wait (5 s at most) until a TCP socket listens on PORT.
listening() {
	local i

	for i in $(seq 50); do
		[ -z "$(ss -tlnH "sport = $1")" ] || return 0
		sleep 0.1
	done
	return 1
}

# In the namespace: TCP sockets of both families, held by a Python
# process while vtcp -P 6 ss and ss(8) list them into $tmp/ss/; then
# vtcpcat and vtcpperf over TCP.
in_netns() {
	ip link set lo up || return 1
	python3 - <<'PY' &
import os, socket, time
held = []
def listen(fam, addr, port, v6only=None):
    s = socket.socket(fam)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    s.listen()
    held.append(s)
listen(socket.AF_INET6, "::", 5001, 0)
listen(socket.AF_INET6, "::", 5002, 1)
listen(socket.AF_INET6, "::1", 5003)
listen(socket.AF_INET, "127.0.0.1", 5004)
for fam, addr, port in ((socket.AF_INET, "127.0.0.1", 5001),
                        (socket.AF_INET6, "::1", 5001),
                        (socket.AF_INET6, "::1", 5003),
                        (socket.AF_INET, "127.0.0.1", 5004)):
    c = socket.socket(fam)
    c.connect((addr, port))
    held.append(c)
open(os.environ["tmp"] + "/held", "w").close()
time.sleep(30)
PY
	local py=$! i=0 f
	until [ -e "$tmp/held" ]; do
		sleep 0.1
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
	done
	mkdir -p "$tmp/ss"
	while read -r f; do
		$V -P 6 ss -H $f >"$tmp/ss/vtcp.$(tr ' /[]:*' '_______' <<<"$f")" 2>&1
		ss -tnH $f >"$tmp/ss/ss.$(tr ' /[]:*' '_______' <<<"$f")" 2>&1
	done <"$tmp/ss.args"
	$V -P 6 ss -6 -a src 127.0.0.1 >"$tmp/ss/mapped" 2>&1
	kill $py
	wait $py 2>/dev/null

	timeout 10 tools/vtcpcat -6 -p 6 -l 5101 >"$tmp/cat1" &
	listening 5101
	echo via-ipv4 | timeout 10 tools/vtcpcat -p 6 127.0.0.1 5101 >/dev/null
	wait
	timeout 10 tools/vtcpcat -6 -p 6 -l 5102 >"$tmp/cat2" &
	listening 5102
	echo via-mapped | timeout 10 tools/vtcpcat -6 -p 6 127.0.0.1 5102 \
		>/dev/null
	wait
	timeout 10 tools/vtcpcat -p 6 -l ::1 5103 >"$tmp/cat3" &
	listening 5103
	echo via-ipv6 | timeout 10 tools/vtcpcat -p 6 ::1 5103 >/dev/null
	wait

	tools/vtcpperf -s -6 -P tcp -p 5201 -L 2 -T 1 &
	local srv=$!
	listening 5202
	tools/vtcpperf -c ::1 -P tcp -p 5201 -L 2 -m rr -t 0.3 >"$tmp/perf"
	tools/vtcpperf -6 -c 127.0.0.1 -P tcp -p 5201 -L 2 -m crr -t 0.3 \
		>>"$tmp/perf"
	tools/vtcpperf -c 127.0.0.1 -P tcp -p 5201 -L 2 -m bulk -t 0.3 \
		>>"$tmp/perf"
	kill $srv
	wait $srv 2>/dev/null
	touch "$tmp/netns.done"
}

# Each line of ss.args is one vtcp ss / ss -tn argument list.
cat >"$tmp/ss.args" <<'EOF'
-a
-a -4
-a -6
-l
-a dst [::1]
-a src [::1]:5003
-a src ::1/128
-a dst 127.0.0.1
-a src 127.0.0.0/8
-a src [::ffff:127.0.0.1]
-a src :5001
-a dst *:5001
-a src fd00::/64
EOF

# State, local and peer columns, sorted: the rest is ss's own layout.
columns() {
	awk '{ print $1, $4, $5 }' "$1" | sort
}

ss_like_ss() {
	local f v s bad=0

	for v in "$tmp"/ss/vtcp.*; do
		s=$tmp/ss/ss.${v##*/vtcp.}
		if ! diff <(columns "$v") <(columns "$s") >"$tmp/diff"; then
			echo "${v##*/vtcp.}:"
			cat "$tmp/diff"
			bad=1
		fi
	done
	f=$tmp/ss/vtcp.-a
	[ $bad = 0 ] && grep -q ' \*:5001 \*:\*' "$f" &&
		grep -qF '[::]:5002 [::]:*' "$f" &&
		grep -qF '[::ffff:127.0.0.1]:5001 [::ffff:127.0.0.1]:' "$f"
}

round_trip() {
	$V monitor -j --from "$1" | cmp - "$1"
}

cat_lines() {
	[ "$(cat "$tmp/cat1" "$tmp/cat2" "$tmp/cat3")" = \
	  "$(printf 'via-ipv4\nvia-mapped\nvia-ipv6')" ]
}

perf_lines() {
	cat "$tmp/perf"
	[ "$(grep -c '^mode=' "$tmp/perf")" = 3 ]
}

only_ipv6() {
	! grep '[ :]127\.0\.0\.1:' "$tmp/ss/vtcp.-a_-6"
}

# vtcp monitor and ladder reading files of both families.
monitor_files() {
	check "monitor --from: IPv6 ends as [fd00::1]:47780, else as IPv4's" \
		monitor_text
	check "monitor -j --from: an IPv6 file is written back unchanged" \
		round_trip $F6
	check "monitor -j --from: an IPv4 file is written back unchanged" \
		round_trip $F4
}
ktap_case monitor_files 3

ladder_files() {
	check "ladder --from: the IPv6 ends over their columns" ladder_header
	check "ladder --from: IPv6 draws what IPv4 draws" ladder_body
	check "ladder filters: [fd00::2]:7, fd00::2, :7 match; [fd00::2]:8 does not; [fd00::2 refused" \
		ladder_filters
	check "ladder: a v4-mapped end and an IPv4 one are the same connection" \
		mixed_families
	check "ladder: a header too long for the left column puts the peer below" \
		long_header
}
ktap_case ladder_files 5

addresses() {
	check "event_from_netlink: SADDR6/DADDR6 as [fd00::1]:47780, \"fd00::1\"; a short one refused" \
		netlink_events
	check "vtcp ss: malformed addresses, prefix lengths, ports refused (exit 1)" \
		ss_refuses
}
ktap_case addresses 2

json() {
	check "json.c: tools/vtcp/tests/json_test reads and writes back" \
		make -s -C tools/vtcp test
}
ktap_case json 1

# What in_a_netns() checks, as its skips say it.
NETNS_CASES=("the part with TCP sockets" "vtcp -P 6 ss as ss(8)"
	"ss -6 src 127.0.0.1" "ss -6" "vtcpcat -6" "vtcpperf -6")

# The host kernel's TCP in a network namespace of its own.
in_a_netns() {
	local t

	if unshare -Urn true 2>/dev/null && command -v python3 >/dev/null &&
	   command -v ss >/dev/null; then
		export -f in_netns listening
		export V tmp
		unshare -Urn bash -c in_netns >"$tmp/netns.log" 2>&1
		check "in a netns: the part with TCP sockets ran" \
			eval 'cat "$tmp/netns.log"; test -e "$tmp/netns.done"'
		check "vtcp -P 6 ss (TCP): ends and filters as ss(8) prints them" \
			ss_like_ss
		check "vtcp -P 6 ss -6 src 127.0.0.1: the v4-mapped socket" \
			grep -F "[::ffff:127.0.0.1]:5001" "$tmp/ss/mapped"
		check "vtcp -P 6 ss -6 (TCP): only AF_INET6 sockets" only_ipv6
		check "vtcpcat -6 -l: [::] takes IPv4, v4-mapped (-6 127.0.0.1); -l ::1" \
			cat_lines
		check "vtcpperf -6: rr to ::1, crr -6 to 127.0.0.1, bulk over IPv4" \
			perf_lines
	else
		for t in "${NETNS_CASES[@]}"; do
			ktap_skip "$t" "no unshare -Urn, python3 or ss(8)"
		done
	fi
	rm -rf "$tmp"
}
ktap_case in_a_netns ${#NETNS_CASES[@]}

ktap_run monitor_files ladder_files addresses json in_a_netns
