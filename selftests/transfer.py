#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The byte stream stays byte-exact and in order when netem loses,
duplicates, reorders or corrupts segments: data both ways at once, checked
by SHA-256. Connections are set up on a clean link; the data and the
teardown go through netem. Offloads are off, so netem's rates are per
segment, as on a real link. Over IPv4, or IPv6 with VTCP_FAMILY=6."""
import hashlib
import os
import socket
import threading
import time

from vtcplib import (DEBUG_KERNEL, Tap, addr, case, netem, ns, offloads,
                     show_sockets, stats, sysctl, two_hosts, vsock)

# Each way, per case: half under the debug kernel, where Python and KASAN
# move some 120 KiB/s through netem.
SIZE = int(os.environ.get("VTCP_TRANSFER_BYTES",
                          (1 << 19) if DEBUG_KERNEL else (1 << 20)))

CASES = [
    ("clean link", ""),
    ("5% loss", "loss 5%"),
    ("20% loss (a sixteenth of the bytes)", "loss 20%"),
    ("10% duplicates", "duplicate 10%"),
    ("reorder 25% with 10 ms delay", "delay 10ms reorder 25% 50%"),
    ("1% corruption", "corrupt 1%"),
    ("everything at once", "delay 5ms loss 3% duplicate 3% reorder 10% corrupt 1%"),
]

tap = Tap(family=True)
two_hosts()
offloads(False)
for host in ("a", "b"):
    with ns(host):
        sysctl("rto_min_ms", 50)
        sysctl("rto_initial_ms", 200)
        # Without SACK, a retransmission lost again and again backs off
        # toward rto_max_ms: bound that tail so the test's time is too.
        sysctl("rto_max_ms", 1000)


def ip_ext(name):
    """IpExt's @name in /proc/net/netstat (of the current namespace)."""
    lines = [l.split() for l in open("/proc/net/netstat")
             if l.startswith("IpExt:")]
    return int(dict(zip(lines[0], lines[1])).get(name, 0))


def pump(sock, data, result, key):
    """Send @data and read until EOF, at the same time."""
    got = []

    def reader():
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got.append(chunk)

    t = threading.Thread(target=reader)
    t.start()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    t.join()
    result[key] = hashlib.sha256(b"".join(got)).hexdigest()


def exchange(port, size, spec):
    """Connect on a clean link, then move the data through netem @spec."""
    out_a, out_b = os.urandom(size), os.urandom(size)
    result = {}
    with ns("b"):
        ls = vsock()
        ls.bind((addr("b"), port))
        ls.listen(1)
    with ns("a"):
        c = vsock()
        c.settimeout(120)
        c.connect((addr("b"), port))
    ls.settimeout(30)
    s, _ = ls.accept()
    s.settimeout(120)
    netem(spec)
    tb = threading.Thread(target=pump, args=(s, out_b, result, "b"))
    tb.start()
    pump(c, out_a, result, "a")
    tb.join()
    ok = (result.get("b") == hashlib.sha256(out_a).hexdigest(),
          result.get("a") == hashlib.sha256(out_b).hexdigest())
    if not all(ok):			# show both ends as they are
        show_sockets(tap)
    c.close()
    s.close()
    ls.close()
    return ok


@case(2)
def over_link(name, spec, port):
    """Both ways at once through netem @spec, @name."""
    netem("")
    t0 = time.monotonic()
    size = SIZE // 16 if "20%" in name else SIZE
    try:
        a_to_b, b_to_a = exchange(port, size, spec)
        err = ""
    except OSError as e:
        a_to_b = b_to_a = False
        err = str(e)
    secs = time.monotonic() - t0
    tap.ok(a_to_b, "%s: %d KiB a->b byte-exact (%.1f s)" %
           (name, size >> 10, secs), err)
    tap.ok(b_to_a, "%s: %d KiB b->a byte-exact, at the same time" %
           (name, size >> 10), err)


@case(1)
def repaired():
    netem("")
    # Both ends: netem corrupts both directions, and a bit flipped in the
    # IPv4 header is IP's to catch (IpExt InCsumErrors), not ours. IPv6
    # has no header checksum: a flipped bit in its source address is ours
    # to catch, through the pseudo-header.
    seen = {}
    for host in ("a", "b"):
        with ns(host):
            seen[host] = (stats(), ip_ext("InCsumErrors"))
        tap.msg("host %s: RetransSegs %d, InCsumErrors %d (IP's: %d)" %
                (host, seen[host][0]["RetransSegs"],
                 seen[host][0]["InCsumErrors"], seen[host][1]))
    tap.ok(all(seen[h][0]["RetransSegs"] > 0 for h in seen) and
           sum(seen[h][0]["InCsumErrors"] for h in seen) > 0,
           "losses were repaired by retransmission (both ends resent), "
           "corruption caught by the checksum", seen)


tap.run([(over_link, name, spec, 7100 + i)
         for i, (name, spec) in enumerate(CASES)] + [repaired])
