#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A receiver that SACKs to exhaust its sender, the class of
CVE-2019-11477/11478: host a sends a byte-checked stream to b (over IPv4,
or IPv6 with VTCP_FAMILY=6); once the connection is up, b's own segments
to a are dropped (a tc filter on b0 matches their TTL, or hop limit) and
tools/vtcpsack speaks for b instead, about 2000 times a second: each ACK
moves the cumulative ACK 300 bytes on and carries four fresh 1-byte SACK
blocks above it, each of which would cut a's queue twice if a took it to
the byte. For VTCP_SACK_SECONDS (default 10; the
issue's 30 for a longer run; scripts/bench's attacks phase compares the
same with Linux TCP, for several send buffers):

- a's queued memory (sock_diag WMEM_QUEUED, sampled ten times a second)
  stays within TCP's cap, twice the send buffer plus 256 KiB, plus one
  GSO segment's worth;
- the splits refused count in WqueueTooBig, if the cap was reached (with
  blocks rounded to whole segments, as TCP rounds them, it no longer is);
- RACK deems less than a segment lost per 10 forged ACKs: a 1-byte block
  SACKs nothing, so it gives RACK no reason to (before, some 40 segments
  were resent per ACK);
- the attack was real: ACKs went out and a's SND.UNA moved (how many
  the guest can send is reported, with the softirq time each costs a);
- afterwards b speaks again and the stream completes byte-exact;
- the VM's kernel log stays clean (the harness checks).
"""
import os
import socket
import struct
import subprocess
import threading
import time

from vtcplib import (AF, V6, Stream, Tap, addr, case, counters_delta,
                     listener, ns, sh, stats, sysctl, two_hosts, u32_match,
                     vsock)
from vtcpnl import INET_DIAG_SKMEMINFO, Diag

SECONDS = float(os.environ.get("VTCP_SACK_SECONDS", "10"))
RATE = int(os.environ.get("VTCP_SACK_RATE", "2000"))
BLOCKS = int(os.environ.get("VTCP_SACK_BLOCKS", "4"))
PORT = 7700
SNDBUF = 212992			# the kernel doubles it: 416 KiB
GSO_MAX = 65536
A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)
TTL_AT = 7 if V6 else 8		# the byte of IPv4's TTL, IPv6's hop limit

tap = Tap(family=True)
two_hosts()
for host in ("a", "b"):
    with ns(host):
        sysctl("timestamps", 0)	# vtcpsack sends none

ls = listener(PORT, "b")
with ns("a"):
    c = vsock()
c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
c.connect((B, PORT))
s, _ = ls.accept()
ls.close()
cport = c.getsockname()[1]
sndbuf = c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
cap = 2 * sndbuf + 256 * 1024

stream = Stream(c, s, seed=11, timeout=60)
time.sleep(0.5)

peak = [0]
sampling = threading.Event()


def wmem_queued():
    """a's queued memory, from sock_diag's SK_MEMINFO_WMEM_QUEUED."""
    for d in diag.dump(ext=1 << (INET_DIAG_SKMEMINFO - 1), family=AF):
        raw = d.attrs.get(INET_DIAG_SKMEMINFO)
        if d.dport == PORT and raw:
            return struct.unpack_from("=9I", raw)[5]
    return 0


def cpu_times():
    """user, nice, system, idle, iowait, irq, softirq (jiffies)."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:8]]


def sample():
    while not sampling.is_set():
        peak[0] = max(peak[0], wmem_queued())
        time.sleep(0.1)


with ns("a"):
    diag = Diag()


@case(5)
def forged_sacks():
    """b forges ACKs with tiny SACK blocks at a's sender for SECONDS."""
    sh("ip netns exec b tc qdisc add dev b0 clsact")
    sh("ip netns exec b tc filter add dev b0 egress %s match u8 64 0xff at %d "
       "action drop" % (u32_match(), TTL_AT))
    with ns("a"):
        before = stats()
    cpu0 = cpu_times()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    here = os.path.dirname(os.path.abspath(__file__))
    acks = acked = 0
    errors = []
    t0 = time.monotonic()
    # In rounds of 5 s, for SECONDS.
    while True:
        out = subprocess.run(
            ["ip", "netns", "exec", "b",
             os.path.join(here, "..", "tools", "vtcpsack"),
             "-s", B, "-d", A, "-S", str(PORT), "-D", str(cport), "-i", "b0",
             "-t", "5", "-r", str(RATE), "-b", str(BLOCKS)],
            capture_output=True, text=True, timeout=120)
        res = dict(line.split() for line in out.stdout.splitlines()
                   if len(line.split()) == 2)
        acks += int(res.get("acks", 0))
        acked += int(res.get("acked", 0))
        if out.returncode:
            errors.append(out.stderr.strip())
            break
        if time.monotonic() - t0 >= SECONDS:
            break
    secs = time.monotonic() - t0
    sampling.set()
    sampler.join()
    cpu = [y - x for x, y in zip(cpu0, cpu_times())]
    with ns("a"):
        d = counters_delta(before, stats())
    sh("ip netns exec b tc qdisc del dev b0 clsact")

    tap.msg("%d ACKs in %.0f s (%.0f/s), %d bytes acknowledged; queued "
            "memory peaked at %d KiB (cap %d KiB, SO_SNDBUF %d KiB); "
            "WqueueTooBig +%d, InBadAck +%d" %
            (acks, secs, acks / secs, acked, peak[0] >> 10, cap >> 10,
             sndbuf >> 10, d.get("WqueueTooBig", 0), d["InBadAck"]))
    tap.msg("guest CPU during the attack: user %d%%, system %d%%, "
            "softirq %d%%, idle %d%%" %
            tuple(100 * cpu[i] // max(sum(cpu), 1) for i in (0, 2, 6, 3)))
    tap.msg("softirq time per ACK: %.0f us" %
            (cpu[6] * 1e6 / os.sysconf("SC_CLK_TCK") / max(acks, 1)))
    tap.ok(not errors and acks > 0 and acked > 100000,
           "the attack ran: ACKs went out and moved SND.UNA", errors)
    tap.ok(peak[0] > 0,
           "a's queued memory was sampled (sock_diag WMEM_QUEUED)")
    tap.ok(peak[0] <= cap + GSO_MAX,
           "a's queued memory stays within twice the send buffer plus 256 KiB "
           "(%d KiB, cap %d KiB)" % (peak[0] >> 10, cap >> 10))
    if peak[0] > cap or d.get("WqueueTooBig", 0):
        tap.ok(d.get("WqueueTooBig", 0) > 0,
               "splits past the cap were refused and counted in WqueueTooBig")
    else:
        tap.skip("splits past the cap were refused and counted in "
                 "WqueueTooBig", "the queue was never seen past the cap "
                 "(%d KiB): no split to refuse" % (peak[0] >> 10))
    # Before SACK blocks were rounded to whole segments, as TCP's are, each
    # 1-byte block SACKed a byte, RACK took all sent before it as lost
    # (RackLost), and a resent some 40 segments per forged ACK. What a slow
    # guest's retransmission timer resends besides (the debug kernel's ACKs
    # come late) is not the attack's doing: reported, not asserted.
    rack_lost = d.get("RackLost", 0)
    tap.ok(rack_lost * 10 < max(acks, 1),
           "blocks smaller than a segment SACK nothing: RACK deems less "
           "than one segment lost per 10 forged ACKs (RackLost +%d for %d "
           "ACKs; RetransSegs +%d, TimeoutRetrans +%d)" % (
               rack_lost, acks, d.get("RetransSegs", 0),
               d.get("TimeoutRetrans", 0)))


@case(1)
def stream_completes():
    exact = stream.finish(timeout=60)
    tap.ok(exact, "afterwards b speaks again and the stream completes "
           "byte-exact (%d bytes)" % stream.received,
           "%s; sent %d, received %d" % (stream.error, stream.sent,
                                          stream.received))
    c.close()
    s.close()


tap.run([forged_sacks, stream_completes])
