#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Segments nobody can take are counted and dropped; malformed ones are
# counted as header errors. Injected with a raw socket on loopback.

# shellcheck disable=SC2317 # the cases run through ktap_run
cd "$(dirname "$0")" || exit 1
. ./lib.sh

# send_raw HEX [good|answer]: one IP datagram of protocol 253 to
# 127.0.0.1; with "good", the header's checksum is filled in first; with
# "answer" too, and then the flags and ACK of what port 2000 sends back to
# port 1000 within 2 s are printed ("flags 0x14 ack 2").
send_raw() {
	python3 - "$1" "${2:-asis}" <<'PY'
import select, socket, struct, sys, time
seg = bytearray(bytes.fromhex(sys.argv[1]))
if sys.argv[2] in ("good", "answer"):
    ph = socket.inet_aton("127.0.0.1") * 2 + struct.pack("!BBH", 0, 253, len(seg))
    data = bytes(ph) + bytes(seg) + b"\0" * (len(seg) % 2)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    seg[16:18] = struct.pack("!H", ~s & 0xffff)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
r.sendto(bytes(seg), ("127.0.0.1", 0))
end = time.monotonic() + 2
while sys.argv[2] == "answer" and time.monotonic() < end:
    if not select.select([r], [], [], end - time.monotonic())[0]:
        break
    pkt = r.recv(2048)
    th = pkt[(pkt[0] & 15) * 4:]
    sport, dport, seq, ack, flags = struct.unpack("!HHIIxB", th[:14])
    if (sport, dport) == (2000, 1000):
        print("flags %#x ack %d" % (flags, ack))
        break
PY
}

# header DOFF [FLAGS]: a 20-byte header, ports 1000 -> 2000, flags SYN
# unless given (hex), and the data offset given.
header() {
	printf '03e8 07d0 00000001 00000000 %x0%s ffff 0000 0000' "$1" "${2:-02}" |
		tr -d ' '
}

# counted NAME DELTA HEX [good]: sending HEX moves counter NAME by DELTA.
counted() {
	local before after
	before=$(vtcp_stat "$1")
	send_raw "$3" "${4:-}"
	after=$(vtcp_stat "$1")
	[ "$((after - before))" -eq "$2" ] ||
		{ ktap_msg "$1: $before -> $after, want +$2"; return 1; }
}

# answered_by_rst HEX: HEX (a SYN from port 1000 to the closed port 2000,
# sequence number 1) draws an RST|ACK 2000 -> 1000 acknowledging 2, seen
# on the wire (a raw socket on loopback), and OutRsts moves by one.
answered_by_rst() {
	local before after seen
	before=$(vtcp_stat OutRsts)
	seen=$(send_raw "$1" answer)
	after=$(vtcp_stat OutRsts)
	[ "$seen" = "flags 0x14 ack 2" ] && [ "$((after - before))" -eq 1 ] ||
		{ ktap_msg "answer seen: '${seen:-none}'; OutRsts $before -> $after"; return 1; }
}

# Segments that are counted where they land.
counting() {
	ktap_check "counters are in /proc/net/vtcp_stats" \
		eval '[ -n "$(vtcp_stat InSegs)" ]'
	ktap_check "a well-formed segment (an RST to a closed port: no answer) is counted in InSegs" \
		counted InSegs 1 "$(header 5 04)" good
	ktap_check "a segment with a bad checksum (0) is counted in InSegs too" \
		counted InSegs 1 "$(header 5)"
	ktap_check "an RST to a closed port is counted in InNoSocket" \
		counted InNoSocket 1 "$(header 5 04)" good
	ktap_check "a SYN to a closed port is answered with an RST|ACK of SEG.SEQ + 1 (seen on the wire), counted in OutRsts" \
		answered_by_rst "$(header 5)"
}
ktap_case counting 5

# Malformed segments: counted as errors, dropped.
malformed() {
	ktap_check "a bad checksum is counted in InCsumErrors" \
		counted InCsumErrors 1 "$(header 5)"
	ktap_check "a 10-byte segment is counted in InHdrErrors" \
		counted InHdrErrors 1 "03e807d00000000100"
	ktap_check "data offset 4 (under 20 bytes) is counted in InHdrErrors" \
		counted InHdrErrors 1 "$(header 4)"
	ktap_check "data offset 15 past the end is counted in InHdrErrors" \
		counted InHdrErrors 1 "$(header 15)"
	ktap_check "an empty datagram is counted in InHdrErrors" \
		counted InHdrErrors 1 ""
}
ktap_case malformed 5

ktap_run counting malformed
