# SPDX-License-Identifier: GPL-2.0
"""Shared by the Python selftests: TAP output, network namespaces joined
by veth, raw segments with their checksum, a sniffer, sysctls, counters.

Tests run as root inside the VM (scripts/vm-run). Two hosts, "a" (10.0.0.1)
and "b" (10.0.0.2), live in namespaces of their own; `with ns("a"):`
makes the sockets created inside belong to host a.
"""
import ctypes
import os
import socket
import struct
import subprocess
import sys
import threading
import time

PROTO = int(os.environ.get("VTCP_PROTO", "253"))
A, B = "10.0.0.1", "10.0.0.2"
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


class Tap:
    """kselftest-style TAP: a plan, one line per case, exit 0/1."""

    def __init__(self, plan):
        self.n = 0
        self.fails = 0
        print("TAP version 13\n1..%d" % plan, flush=True)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.fails += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("# " + line)
        print("%s %d %s" % ("ok" if cond else "not ok", self.n, desc), flush=True)
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "got %r, want %r" % (got, want))

    def errno(self, fn, want, desc):
        """fn() must raise OSError with errno @want."""
        try:
            fn()
        except OSError as e:
            return self.ok(e.errno == want, desc, "got %s, want %s" %
                           (os.strerror(e.errno), os.strerror(want)))
        return self.ok(False, desc, "succeeded, want %s" % os.strerror(want))

    def skip(self, desc):
        self.n += 1
        print("ok %d # SKIP %s" % (self.n, desc), flush=True)

    def msg(self, text):
        print("# " + text, flush=True)

    def finish(self):
        print("# Totals: pass:%d fail:%d" % (self.n - self.fails, self.fails))
        sys.exit(1 if self.fails else 0)


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


class ns:
    """Run a block inside network namespace @name (made by two_hosts())."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, _CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns " + self.name)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        _libc.setns(self.home, _CLONE_NEWNET)
        os.close(self.home)


def two_hosts(mtu=1500):
    """Hosts a and b on a veth pair a0 <-> b0; returns nothing."""
    sh("ip netns del a 2>/dev/null; ip netns del b 2>/dev/null; true")
    sh("ip netns add a && ip netns add b")
    sh("ip link add a0 netns a type veth peer name b0 netns b")
    for host, dev, addr in (("a", "a0", A), ("b", "b0", B)):
        sh("ip -n %s addr add %s/24 dev %s" % (host, addr, dev))
        sh("ip -n %s link set %s mtu %d up" % (host, dev, mtu))
        sh("ip -n %s link set lo up" % host)


def seq_add(s, n):
    """Sequence number arithmetic, modulo 2^32."""
    return (s + n) % (1 << 32)


def netem(spec):
    """netem @spec (tc-netem(8) words) on both veths; "" removes it."""
    for host, dev in (("a", "a0"), ("b", "b0")):
        sh("ip netns exec %s tc qdisc del dev %s root 2>/dev/null; true" %
           (host, dev))
        if spec:
            sh("ip netns exec %s tc qdisc add dev %s root netem %s limit 10000" %
               (host, dev, spec))


def vsock(proto=PROTO):
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)


def sysctl(name, value=None):
    path = "/proc/sys/net/vtcp/" + name
    if value is None:
        with open(path) as f:
            return int(f.read())
    with open(path, "w") as f:
        f.write(str(value))


def stats():
    with open("/proc/net/vtcp_stats") as f:
        return {k: int(v) for k, v in (l.split() for l in f)}


def stat(host, name):
    """Counter @name of host @host."""
    with ns(host):
        return stats()[name]


def wait_stat(host, name, above, timeout=5.0):
    """Poll counter @name of @host until it exceeds @above; its value."""
    end = time.monotonic() + timeout
    while True:
        v = stat(host, name)
        if v > above or time.monotonic() > end:
            return v
        time.sleep(0.02)


def listener(port, host="b", addr=B):
    """A vtcp listener on @host, with a 5 s accept() timeout."""
    with ns(host):
        ls = vsock()
        ls.bind((addr, port))
        ls.listen(8)
    ls.settimeout(5)
    return ls


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack=0, flags=ACK, win=65535,
            payload=b"", options=b"", proto=PROTO, bad_csum=False):
    """Our header (TCP's layout) plus payload, checksummed for @proto."""
    options += b"\0" * (-len(options) % 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (5 + len(options) // 4) << 4, flags,
                      win, 0, 0) + options
    seg = hdr + payload
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, proto, len(seg))
    csum = _csum(ph + seg) ^ (0x5555 if bad_csum else 0)
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def inject(src, dst, seg, proto=PROTO):
    """Send @seg from @src (spoofed if need be) to @dst, from this netns."""
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0, 64,
                     proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + seg, (dst, 0))
    s.close()


class Seg:
    """A captured segment."""

    def __init__(self, t, src, dst, data):
        self.t, self.src, self.dst = t, src, dst
        (self.sport, self.dport, self.seq, self.ack, off, self.flags,
         self.win) = struct.unpack("!HHIIBBH", data[:16])
        self.hlen = (off >> 4) * 4
        self.len = len(data) - self.hlen
        self.options = data[20:self.hlen]

    def has(self, flags):
        return self.flags & flags == flags

    def is_(self, flags):
        """Exactly these of SYN/FIN/RST/ACK."""
        return self.flags & (SYN | FIN | RST | ACK) == flags

    def __repr__(self):
        names = "".join(n for b, n in ((SYN, "S"), (FIN, "F"), (RST, "R"),
                                       (ACK, "."), (PSH, "P"))
                        if self.flags & b)
        return "%.3f %s:%d>%s:%d [%s] seq=%d ack=%d len=%d win=%d" % (
            self.t, self.src, self.sport, self.dst, self.dport, names,
            self.seq, self.ack, self.len, self.win)


class Sniffer:
    """Segments of protocol @proto seen on @dev (in the current netns)."""

    def __init__(self, dev, proto=PROTO):
        self.proto = proto
        self.segs = []
        # ETH_P_ALL: only such sockets see what the device sends, too.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(0x0003))
        self.sock.bind((dev, 0))
        self.sock.settimeout(0.05)
        self.running = True
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                pkt = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            ip = pkt[14:]
            if pkt[12:14] != b"\x08\x00" or len(ip) < 40 or \
                    ip[9] != self.proto:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            seg = Seg(time.monotonic(), socket.inet_ntoa(ip[12:16]),
                      socket.inet_ntoa(ip[16:20]), ip[ihl:tot])
            with self.lock:
                self.segs.append(seg)

    def all(self, pred=lambda s: True):
        with self.lock:
            return [s for s in self.segs if pred(s)]

    def wait(self, pred, count=1, timeout=5.0):
        """The first @count segments matching @pred, waiting up to @timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.all(pred)
            if len(got) >= count:
                return got[:count]
            time.sleep(0.02)
        return self.all(pred)

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def __str__(self):
        return "\n".join(map(repr, self.all()))
