# SPDX-License-Identifier: GPL-2.0
"""Shared by the Python selftests: TAP output, network namespaces joined
by veth, raw segments with their checksum, a sniffer, sysctls, counters.

Tests run as root inside the VM (scripts/vm-run). Two hosts, "a" (10.0.0.1,
fd00::1) and "b" (10.0.0.2, fd00::2), live in namespaces of their own;
`with ns("a"):` makes the sockets created inside belong to host a.

A test that takes the address family as a parameter says so (Tap(...,
family=True)) and gets it from VTCP_FAMILY: 4 (the default) or 6. It
names the hosts by addr("a") and addr("b"); vsock(), listener(),
connected_pair(), u32_match() and mss() follow the family too, and
segment(), inject() and the Sniffer take either.
"""
import atexit
import contextlib
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

PROTO = int(os.environ.get("VTCP_PROTO", "253"))
A, B = "10.0.0.1", "10.0.0.2"
A6, B6 = "fd00::1", "fd00::2"		# the same hosts over IPv6
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# The run's address family: run_tests runs the tests of TEST_FAMILY_PROGS
# (selftests/Makefile) with VTCP_FAMILY=4, then again with 6.
FAMILY = int(os.environ.get("VTCP_FAMILY", "4"))
if FAMILY not in (4, 6):
    sys.exit("VTCP_FAMILY=%d: 4 or 6" % FAMILY)
V6 = FAMILY == 6
# The debug kernel of scripts/debug-kernel (KASAN, lockdep, kmemleak),
# some five times slower under TCG: long transfers move less there.
DEBUG_KERNEL = "vtcp-debug" in os.uname().release
AF = socket.AF_INET6 if V6 else socket.AF_INET
IP_HLEN = 40 if V6 else 20		# the IP header before ours


def net_addr(n):
    """Address @n of the link a0-b0 in FAMILY: 10.0.0.n or fd00::n (the
    same digits)."""
    return ("fd00::%d" if V6 else "10.0.0.%d") % n


HOST_ADDR = {"a": net_addr(1), "b": net_addr(2)}


def addr(host):
    """Host @host's address ("a" or "b") in FAMILY."""
    return HOST_ADDR[host]


def mss(mtu=1500, timestamps=False):
    """The MSS of FAMILY on a link of @mtu: 1460 or 1440 on 1500, less the
    12 bytes a timestamp option takes in each segment if @timestamps."""
    return mtu - IP_HLEN - 20 - (12 if timestamps else 0)


def u32_match(flags=None):
    """tc filter words that select our segments of FAMILY, only those whose
    flags byte is exactly @flags if given (SYN: pure SYNs)."""
    if V6:
        words = "protocol ipv6 u32 match ip6 protocol %d 0xff" % PROTO
    else:
        words = "protocol ip u32 match ip protocol %d 0xff" % PROTO
    if flags is not None:
        words += " match u8 0x%02x 0xff at %d" % (flags, IP_HLEN + 13)
    return words


_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


class Tap:
    """kselftest-style TAP: a plan, one line per case, a Totals line, and
    the exit status run_tests reads: 1 if a case failed or fewer cases ran
    than planned, 4 (KSFT_SKIP) if every case was skipped, else 0. The
    plan is checked at exit too, so a test that leaves early without
    finish() (sys.exit(0), a return) fails rather than passes.

    @family: the test takes VTCP_FAMILY, and in an IPv6 run each case's
    description starts with "IPv6: ". A test that does not take it skips
    as a whole when asked for IPv6: the helpers' defaults would follow the
    family, its own addresses not.

    @plan: the number of results, or None when run() plans them from the
    cases (functions marked by case()) before it runs them."""

    def __init__(self, plan=None, family=False):
        self.plan = None
        self.miscounted = []
        self.n = 0
        self.fails = 0
        self.skips = 0
        self.finished = False
        self.pid = os.getpid()
        self.prefix = "IPv6: " if family and V6 else ""
        if V6 and not family:
            print("TAP version 13\n1..0 # SKIP the test does not take "
                  "VTCP_FAMILY=6", flush=True)
            sys.exit(4)
        print("TAP version 13", flush=True)
        if plan is not None:
            self._set_plan(plan)
        atexit.register(self._at_exit)

    def _set_plan(self, plan):
        self.plan = plan
        print("1..%d" % plan, flush=True)

    def run(self, cases):
        """Plan what @cases report, run them in order, then finish(). A
        case is a function marked by case(), or a tuple of one and its
        arguments. One that reports more or fewer results than case()
        said fails the test, named."""
        cases = [c if isinstance(c, tuple) else (c,) for c in cases]
        self._set_plan(sum(c[0].results for c in cases))
        for fn, *args in cases:
            name = "%s(%s)" % (fn.__name__, ", ".join(map(repr, args))) \
                if args else fn.__name__
            n, t0 = self.n, time.monotonic()
            fn(*args)
            self.msg("%s: %.1f s" % (name, time.monotonic() - t0))
            if self.n - n != fn.results:
                self.miscounted.append("%s reported %d results, not %d" %
                                       (name, self.n - n, fn.results))
        self.finish()

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = self.prefix + desc
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

    def skip(self, desc, reason):
        """Case @desc did not run, because of @reason: "ok N desc # SKIP
        reason", counted as a skip, never as a pass."""
        self.n += 1
        self.skips += 1
        print("ok %d %s%s # SKIP %s" % (self.n, self.prefix, desc, reason),
              flush=True)

    def msg(self, text):
        print("# " + text, flush=True)

    def _verdict(self):
        passes = self.n - self.fails - self.skips
        print("# Totals: pass:%d fail:%d skip:%d" %
              (passes, self.fails, self.skips), flush=True)
        if self.plan is None:
            print("# the test ended before its plan", flush=True)
            return 1
        for line in self.miscounted:
            print("# " + line, flush=True)
        if self.miscounted:
            return 1
        if self.n != self.plan:
            print("# planned %d cases, ran %d: the test did not run them "
                  "all" % (self.plan, self.n), flush=True)
            return 1
        if self.fails:
            return 1
        return 4 if self.skips and not passes else 0

    def finish(self):
        self.finished = True
        sys.exit(self._verdict())

    def _at_exit(self):
        """A test that exits without finish() (an exception, an early
        sys.exit) has not run its plan: it fails, whatever its status."""
        if self.finished or os.getpid() != self.pid:
            return
        print("# the test exited before finish()", flush=True)
        self._verdict()
        sys.stdout.flush()
        os._exit(1)


def case(results):
    """Marks a function as a case of Tap.run() that reports @results
    results: `@case(3)` above its def."""
    def mark(fn):
        fn.results = results
        return fn
    return mark


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


def as_container_root(fn):
    """fn() in a forked child that made itself a new user namespace and a
    network namespace of its own, as a container's root: all capabilities
    there, none on the host. The errno fn() failed with, 0 if it worked,
    255 if the namespaces could not be made."""
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
                fn()
                code = 0
        except OSError as e:
            code = e.errno
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def two_hosts(mtu=1500):
    """Hosts a and b on a veth pair a0 <-> b0; returns nothing."""
    sh("ip netns del a 2>/dev/null; ip netns del b 2>/dev/null; true")
    sh("ip netns add a && ip netns add b")
    sh("ip link add a0 netns a type veth peer name b0 netns b")
    for host, dev, addr, addr6 in (("a", "a0", A, A6), ("b", "b0", B, B6)):
        sh("ip -n %s addr add %s/24 dev %s" % (host, addr, dev))
        sh("ip -n %s addr add %s/64 dev %s nodad" % (host, addr6, dev))
        sh("ip -n %s link set %s mtu %d up" % (host, dev, mtu))
        sh("ip -n %s link set lo up" % host)


def offloads(on):
    """Segmentation offloads on both veths. Off, the stack cuts vtcp's
    GSO packets into segments before the device, so a Sniffer sees them
    as the wire does. A qdisc (netem) still sees whole bursts: vtcp
    segments in software when the device cannot (vtcp_setup_caps()), so
    netem's rates are per burst unless the device's gso_max_segs is 1."""
    word = "on" if on else "off"
    for host, dev in (("a", "a0"), ("b", "b0")):
        sh("ip netns exec %s ethtool -K %s tso %s gso %s gro %s "
           "tx-sctp-segmentation %s >/dev/null 2>&1; true" %
           (host, dev, word, word, word, word))


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


def vsock(proto=PROTO, family=None):
    """A vtcp socket of @family, by default FAMILY's."""
    return socket.socket(AF if family is None else family,
                         socket.SOCK_STREAM, proto)


def until_monitoring(path, host="a", tries=200):
    """Listeners on @host make events until the monitor writing @path shows
    one: it has joined the events group (a slow guest takes its time)."""
    for _ in range(tries):
        with ns(host):
            s = vsock()
            s.bind(("::" if V6 else "0.0.0.0", 0))
            s.listen(1)
            s.close()
        if os.path.getsize(path):
            return True
        time.sleep(0.05)
    return False


def family_of(addr):
    """The address family of the literal @addr."""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sysctl(name, value=None):
    """net.vtcp.@name of the current namespace: read (an int), or set to
    @value. For a while only: sysctls()."""
    path = "/proc/sys/net/vtcp/" + name
    if value is None:
        with open(path) as f:
            return int(f.read())
    with open(path, "w") as f:
        f.write(str(value))


@contextlib.contextmanager
def sysctls(hosts=None, **values):
    """Set sysctls for a block in the namespaces of @hosts (a host, a
    tuple of them, None for the caller's own) and put back what they
    were when it ends, however it ends: `with sysctls("a", msl_ms=100):`.
    A name is net.vtcp's, or a dotted one (`**{"net.ipv4.x": 1}`); set
    in order, restored in reverse."""
    if hosts is None or isinstance(hosts, str):
        hosts = (hosts,)
    saved = []
    try:
        for host in hosts:
            with _netns(host):
                for name, value in values.items():
                    saved.append((host, name, _sysctl_text(name)))
                    _sysctl_text(name, str(value))
        yield
    finally:
        for host, name, text in reversed(saved):
            with _netns(host):
                _sysctl_text(name, text)


def _netns(host):
    return contextlib.nullcontext() if host is None else ns(host)


def _sysctl_text(name, text=None):
    """Sysctl @name (net.vtcp's, or dotted) as text; written if @text."""
    path = "/proc/sys/" + (name.replace(".", "/") if "." in name else
                           "net/vtcp/" + name)
    if text is None:
        with open(path) as f:
            return f.read().strip()
    with open(path, "w") as f:
        f.write(text)


def stats():
    """The counters of the calling thread's namespace (/proc/net would
    be the main thread's: a thread's `with ns(...)` does not move it)."""
    with open("/proc/thread-self/net/vtcp_stats") as f:
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


def listener(port, host="b", addr=None, proto=PROTO, before=None,
             timeout=5):
    """A listener of @proto on @host at @addr (by default the host's
    address in FAMILY). @before(ls) runs before bind() (socket options);
    accept() times out after @timeout s (None: it blocks)."""
    addr = addr or HOST_ADDR[host]
    with ns(host):
        ls = vsock(proto, family_of(addr))
        if before:
            before(ls)
        ls.bind((addr, port))
        ls.listen(8)
    if timeout is not None:
        ls.settimeout(timeout)
    return ls


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo_header(src, dst, length, proto=PROTO):
    """The pseudo-header our checksum covers: IPv4's or IPv6's, by the
    addresses."""
    fam = family_of(src)
    if fam == socket.AF_INET6:
        return socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + \
            struct.pack("!IxxxB", length, proto)
    return socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!xBH", proto, length)


def segment(src, dst, sport, dport, seq, ack=0, flags=ACK, win=65535,
            payload=b"", options=b"", proto=PROTO, bad_csum=False):
    """Our header (TCP's layout) plus payload, checksummed for @proto,
    between IPv4 or IPv6 addresses."""
    options += b"\0" * (-len(options) % 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (5 + len(options) // 4) << 4, flags,
                      win, 0, 0) + options
    seg = hdr + payload
    ph = pseudo_header(src, dst, len(seg), proto)
    csum = _csum(ph + seg) ^ (0x5555 if bad_csum else 0)
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def inject(src, dst, seg, proto=PROTO):
    """Send @seg from @src (spoofed if need be) to @dst, from this netns,
    over IPv4 or IPv6 by the addresses. An AF_INET6 raw socket of
    IPPROTO_RAW sends the IPv6 header we give it (IPV6_HDRINCL), as its
    IPv4 counterpart does."""
    if family_of(dst) == socket.AF_INET6:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(seg), proto, 64,
                         socket.inet_pton(socket.AF_INET6, src),
                         socket.inet_pton(socket.AF_INET6, dst))
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_RAW)
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0, 64,
                         proto, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + seg, (dst, 0))
    s.close()


class Seg:
    """A captured segment. IPv6 ones know their traffic class and flow
    label; csum_ok says whether the checksum is right for the
    pseudo-header of @proto (IPv4's or IPv6's, by the addresses)."""

    def __init__(self, t, src, dst, data, tclass=0, flow=0, proto=PROTO):
        self.t, self.src, self.dst = t, src, dst
        self.tclass, self.flow = tclass, flow
        pseudo = pseudo_header(src, dst, len(data), proto)
        self.csum_ok = _csum(pseudo + data) == 0
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


SO_TIMESTAMPNS = 35     # asm-generic/socket.h, x86 included
SO_RCVBUFFORCE = 33
SOL_PACKET, PACKET_STATISTICS = 263, 6


class Sniffer:
    """Segments of protocol @proto seen on @dev (in the current netns)."""

    def __init__(self, dev, proto=PROTO, keep_frames=False):
        self.proto = proto
        self.segs = []
        self.frames = [] if keep_frames else None	# (time, frame)
        # ETH_P_ALL: only such sockets see what the device sends, too.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(0x0003))
        self.sock.bind((dev, 0))
        self.sock.settimeout(0.05)
        # A loaded guest may starve the reader thread for a while: room
        # for some thousands of segments, and dropped() to say if not.
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        self.drops = 0
        # The kernel's receive time, not ours: a busy VM reads late.
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.running = True
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                pkt, anc, _, _ = self.sock.recvmsg(65536, 64)
            except socket.timeout:
                continue
            except OSError:
                return
            t = time.monotonic()
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", data[:16])
                    t = sec + nsec / 1e9 - (time.time() - time.monotonic())
            seg = self._parse(t, pkt)
            if not seg:
                continue
            if self.frames is not None:
                self.frames.append((t + time.time() - time.monotonic(), pkt))
            with self.lock:
                self.segs.append(seg)

    def _parse(self, t, pkt):
        """A Seg of ours from the Ethernet frame @pkt, IPv4 or IPv6."""
        ip = pkt[14:]
        if pkt[12:14] == b"\x86\xdd" and len(ip) >= 60 and \
                ip[6] == self.proto:
            plen = struct.unpack("!H", ip[4:6])[0]
            word = struct.unpack("!I", ip[:4])[0]
            return Seg(t, socket.inet_ntop(socket.AF_INET6, ip[8:24]),
                       socket.inet_ntop(socket.AF_INET6, ip[24:40]),
                       ip[40:40 + plen], (word >> 20) & 0xff,
                       word & 0xfffff, self.proto)
        if pkt[12:14] != b"\x08\x00" or len(ip) < 40 or \
                ip[9] != self.proto:
            return None
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        return Seg(t, socket.inet_ntoa(ip[12:16]),
                   socket.inet_ntoa(ip[16:20]), ip[ihl:tot], ip[1],
                   proto=self.proto)

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

    def write_pcap(self, path):
        """The frames kept (keep_frames) as a pcap file, for tshark."""
        with open(path, "wb") as f:
            f.write(struct.pack("=IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, pkt in self.frames:
                f.write(struct.pack("=IIII", int(t), int(t % 1 * 1e6),
                                    len(pkt), len(pkt)) + pkt)

    def dropped(self):
        """Segments the kernel dropped for want of room, so far (a test
        that counts segments says so in its diagnostics)."""
        if self.sock.fileno() != -1:
            stats = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
            self.drops += struct.unpack("II", stats)[1]
        return self.drops

    def close(self):
        self.running = False
        self.thread.join()
        self.dropped()
        self.sock.close()

    def __str__(self):
        return "\n".join(map(repr, self.all()))


# ---- Options, sysctl strings and a hand-driven peer: datapath.py, interop.py

SOL_VTCP = PROTO
VTCP_NODELAY, VTCP_CORK, VTCP_CONGESTION = 1, 3, 13
C = "10.0.0.3"		# a raw peer's address: routed to a0, nobody's there


def parse_options(o):
    """TCP options @o (bytes) as a dict: mss, wscale, sack_perm, sack (a
    list of (start, end)), ts ((tsval, tsecr)); "bad" if malformed."""
    out, i = {}, 0
    while i < len(o) and o[i] != 0:
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2 or i + o[i + 1] > len(o):
            out["bad"] = True
            break
        kind, n, v = o[i], o[i + 1], o[i + 2:i + o[i + 1]]
        if kind == 2 and n == 4:
            out["mss"] = struct.unpack("!H", v)[0]
        elif kind == 3 and n == 3:
            out["wscale"] = v[0]
        elif kind == 4 and n == 2:
            out["sack_perm"] = True
        elif kind == 5 and n > 2 and (n - 2) % 8 == 0:
            out["sack"] = [struct.unpack("!II", v[j:j + 8])
                           for j in range(0, n - 2, 8)]
        elif kind == 8 and n == 10:
            out["ts"] = struct.unpack("!II", v)
        else:
            out.setdefault("other", []).append(kind)
        i += n
    return out


def make_options(mss=None, wscale=None, sack_perm=False, ts=None, sacks=()):
    """Options laid out as Linux TCP writes them (NOP padded)."""
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack_perm:
        o += b"\x01\x01\x04\x02"
    if ts is not None:
        o += b"\x01\x01\x08\x0a" + struct.pack("!II", ts[0] & 0xFFFFFFFF,
                                               ts[1] & 0xFFFFFFFF)
    if wscale is not None:
        o += b"\x01\x03\x03" + bytes([wscale])
    if sacks:
        o += b"\x01\x01\x05" + bytes([2 + 8 * len(sacks)])
        o += b"".join(struct.pack("!II", s & 0xFFFFFFFF, e & 0xFFFFFFFF)
                      for s, e in sacks)
    return o


def sysctl_str(name, value=None):
    """A string setting of /proc/sys/net/vtcp/; a write may raise OSError."""
    path = "/proc/sys/net/vtcp/" + name
    if value is None:
        with open(path) as f:
            return f.read().strip()
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def wait_after(sn, mark, pred, count=1, timeout=5.0):
    """Segments matching @pred that @sn captured after its first @mark."""
    end = time.monotonic() + timeout
    while True:
        got = [s for s in sn.all()[mark:] if pred(s)]
        if len(got) >= count or time.monotonic() > end:
            return got
        time.sleep(0.01)


def route_raw_peer():
    """Host b reaches C (net_addr(3) in FAMILY: C or fd00::3) through a0,
    where no stack answers for it: a RawPeer's segments get no RST from
    host a's vtcp."""
    mac = subprocess.run(["ip", "-n", "a", "-br", "link", "show", "a0"],
                         capture_output=True, text=True).stdout.split()[2]
    sh("ip -n b neigh replace %s lladdr %s dev b0 nud permanent" %
       (net_addr(3), mac))


class RawPeer:
    """A peer at C (net_addr(3) in FAMILY) driven by hand from host a:
    crafted segments to a vtcp socket at addr("b"):@dport, its answers
    read from @sn (a Sniffer on a0). Offers MSS @mss, SACK-permitted,
    timestamps and window scale as asked."""

    def __init__(self, sn, sport, dport, mss=1460, sack=True, ts=True,
                 wscale=None, win=65535, iss=100000):
        self.sn, self.sport, self.dport = sn, sport, dport
        self.addr, self.peer = net_addr(3), addr("b")
        self.mss, self.sack, self.ts, self.wscale = mss, sack, ts, wscale
        self.win, self.iss = win, iss
        self.snd_nxt = seq_add(iss, 1)
        self.rcv_nxt = 0
        self.tsval = 1000
        self.ts_recent = 0
        self.synack = None
        self.opts = {}

    def mine(self, s):
        """Segments vtcp sent to us."""
        return s.src == self.peer and s.dst == self.addr and \
            s.dport == self.sport

    def mark(self):
        return len(self.sn.all())

    def send(self, seq=None, flags=ACK, payload=b"", sacks=(), tsval=None,
             ack=None, opts=None):
        if tsval is None:
            self.tsval += 1
            tsval = self.tsval
        if opts is None:
            opts = make_options(ts=(tsval, self.ts_recent) if self.ts
                                else None, sacks=sacks)
        seg = segment(self.addr, self.peer, self.sport, self.dport,
                      self.snd_nxt if seq is None else seq,
                      self.rcv_nxt if ack is None else ack, flags, self.win,
                      payload, opts)
        with ns("a"):
            inject(self.addr, self.peer, seg)

    def connect(self, timeout=5.0, ack_after=0.0):
        """The three-way handshake, its last ACK @ack_after seconds after
        the SYN-ACK (vtcp's first RTT sample); False if no SYN-ACK came."""
        m = self.mark()
        self.send(seq=self.iss, flags=SYN, ack=0, opts=make_options(
            mss=self.mss, wscale=self.wscale, sack_perm=self.sack,
            ts=(self.tsval, 0) if self.ts else None))
        got = wait_after(self.sn, m, lambda s: self.mine(s) and
                         s.is_(SYN | ACK), timeout=timeout)
        if not got:
            return False
        self.synack = got[0]
        self.opts = parse_options(got[0].options)
        self.rcv_nxt = seq_add(got[0].seq, 1)
        self.echo(got[0])
        time.sleep(ack_after)
        self.send()
        return True

    def echo(self, s):
        """Remember the timestamp of @s, to echo it."""
        ts = parse_options(s.options).get("ts")
        if ts:
            self.ts_recent = ts[0]


def pcap_segs(path, proto=PROTO):
    """The segments of protocol @proto in a classic pcap file (Ethernet,
    as tcpdump writes it), IPv4 or IPv6, as Seg objects timed by the
    capture."""
    out = []
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return out
        order = "<" if head[:4] == b"\xd4\xc3\xb2\xa1" else ">"
        nano = head[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return out
            sec, frac, caplen, _ = struct.unpack(order + "IIII", rec)
            pkt = f.read(caplen)
            ip = pkt[14:]
            t = sec + frac / (1e9 if nano else 1e6)
            if pkt[12:14] == b"\x86\xdd" and len(ip) >= 60 and \
                    ip[6] == proto:
                plen = struct.unpack("!H", ip[4:6])[0]
                seg = Seg(t, socket.inet_ntop(socket.AF_INET6, ip[8:24]),
                          socket.inet_ntop(socket.AF_INET6, ip[24:40]),
                          ip[40:40 + plen])
                seg.len = plen - seg.hlen	# the payload, even if cut
                out.append(seg)
                continue
            if pkt[12:14] != b"\x08\x00" or len(ip) < 40 or ip[9] != proto:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            seg = Seg(sec + frac / (1e9 if nano else 1e6),
                      socket.inet_ntoa(ip[12:16]),
                      socket.inet_ntoa(ip[16:20]), ip[ihl:])
            seg.len = tot - ihl - seg.hlen	# the payload, even if cut
            out.append(seg)


# ---- Hardening (issue 8): fuzz.py, attacks.py, races.py, limits.py --------

import random as _random
import re as _re

SPOOF_NET = "10.9.0.0/16"	# spoofed sources: routed to a sink, unanswered
SINK = "10.0.0.4"		# the sink: a neighbour that is nobody
SPOOF_NET6, SINK6 = "fd99::/64", "fd00::4"	# the same for IPv6


def module_refs():
    """/sys/module/vtcp/refcnt: every socket and TIME-WAIT entry holds one."""
    try:
        with open("/sys/module/vtcp/refcnt") as f:
            return int(f.read())
    except OSError:
        return None


def wait_module_refs(want, timeout=10.0):
    """Poll the module refcount until it is at most @want: (value, secs)."""
    t0 = time.monotonic()
    while True:
        v = module_refs()
        if v is None or v <= want or time.monotonic() - t0 > timeout:
            return v, time.monotonic() - t0
        time.sleep(0.05)


def counters_delta(before, after):
    """What each counter of /proc/net/vtcp_stats grew by (new ones: all)."""
    return {k: v - before.get(k, 0) for k, v in after.items()}


def slab_objects(cache="VTCP", settled=False):
    """Active objects of a slab cache (slub_debug keeps ours unmerged).
    @settled: shrink the cache first, which empties KASAN's quarantine of
    its freed objects (the debug kernel's counts them as active)."""
    if settled:
        try:
            with open("/sys/kernel/slab/%s/shrink" % cache, "w") as f:
                f.write("1")
        except OSError:
            pass
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                w = line.split()
                if w and w[0] == cache:
                    return int(w[1])
    except OSError:
        pass
    return None


def meminfo(field):
    """A /proc/meminfo field, in KiB."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def route_to_sink(host, dev, net=SPOOF_NET):
    """Host @host answers @net through @dev to a neighbour that is nobody:
    replies to spoofed sources leave and vanish, nobody answers them. An
    IPv6 @net (SPOOF_NET6) goes to SINK6, in a0's and b0's prefix."""
    v6 = ":" in net
    sink = SINK6 if v6 else SINK
    sh("ip -n %s %s neigh replace %s lladdr 02:00:00:00:00:99 dev %s "
       "nud permanent" % (host, "-6" if v6 else "-4", sink, dev))
    sh("ip -n %s %s route replace %s via %s dev %s onlink" %
       (host, "-6" if v6 else "-4", net, sink, dev))


def run_fuzzer(host, args):
    """tools/vtcpfuzz in @host's namespace: ({class: count}, total,
    rate, output). It gets its own time bound (-t) plus 5 minutes."""
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = ["ip", "netns", "exec", host,
           os.path.join(here, "..", "tools", "vtcpfuzz")] + \
        [str(a) for a in args]
    bound = float(args[args.index("-t") + 1]) if "-t" in args else 300
    p = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=bound + 300)
    sent, total, rate = {}, 0, 0.0
    for line in p.stdout.splitlines():
        w = line.split()
        if len(w) == 3 and w[0] == "sent":
            sent[w[1]] = int(w[2])
        m = _re.match(r"total (\d+) segments in ([\d.]+) s: (\d+)/s", line)
        if m:
            total, rate = int(m.group(1)), float(m.group(3))
    if p.returncode:
        raise OSError("vtcpfuzz exited %d: %s" % (p.returncode, p.stderr))
    return sent, total, rate, p.stdout


class Stream:
    """A one-way byte stream from socket @tx to socket @rx, checked byte by
    byte as it arrives: block i is a random 64 KiB block (from @seed)
    rotated by i * 4099 bytes, so a byte lost, duplicated or injected
    anywhere shows. finish() stops the sender and waits for EOF."""

    BLOCK = 65536

    def __init__(self, tx, rx, seed=1, timeout=30.0):
        base = _random.Random(seed).randbytes(self.BLOCK)
        self.twice = base + base
        self.tx, self.rx = tx, rx
        self.sent = self.received = 0
        self.error = None
        self.eof = False
        self.stopping = threading.Event()
        tx.settimeout(timeout)
        rx.settimeout(timeout)
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._send, self._receive)]
        for t in self.threads:
            t.start()

    def _block(self, i):
        r = i * 4099 % self.BLOCK
        return self.twice[r:r + self.BLOCK]

    def _expected(self, pos, n):
        out = []
        while n > 0:
            i, o = divmod(pos, self.BLOCK)
            piece = self._block(i)[o:o + n]
            out.append(piece)
            pos += len(piece)
            n -= len(piece)
        return b"".join(out)

    def _send(self):
        i = 0
        try:
            while not self.stopping.is_set():
                self.tx.sendall(self._block(i))
                self.sent += self.BLOCK
                i += 1
            self.tx.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.error = self.error or "send: %s" % e

    def _receive(self):
        try:
            while True:
                data = self.rx.recv(1 << 16)
                if not data:
                    self.eof = True
                    return
                if data != self._expected(self.received, len(data)):
                    self.error = "byte %d differs" % self.received
                    return
                self.received += len(data)
        except OSError as e:
            self.error = self.error or "receive: %s" % e

    def finish(self, timeout=30.0):
        """Stop sending; True when every byte sent arrived, in order."""
        self.stopping.set()
        for t in self.threads:
            t.join(timeout)
        return self.error is None and self.eof and \
            self.received == self.sent


def host_addr(host, family=None):
    """Host @host's address in @family (by default FAMILY)."""
    v6 = V6 if family is None else family == socket.AF_INET6
    return {"a": (A, A6), "b": (B, B6)}[host][v6]


def connected_pair(port, host="a", peer="b", addr=None, proto=PROTO,
                   client_port=0, before=None, listener_before=None,
                   timeout=10, server_timeout=None, accept_timeout=5):
    """A connection of @proto from @host to a listener of @peer at
    @addr:@port (by default @peer's address in FAMILY): (client socket,
    accepted socket). The listener is closed once it has accepted.

    @client_port: the client binds @host's address and this port first.
    @before(c) and @listener_before(ls) set options on the client before
    it connects and on the listener before it binds. @timeout and
    @server_timeout: the client's and the accepted socket's
    (socket.settimeout), None leaves one blocking (recv(MSG_DONTWAIT)
    then raises BlockingIOError, not a timeout); @accept_timeout: the
    listener's."""
    addr = addr or HOST_ADDR[peer]
    ls = listener(port, peer, addr, proto, listener_before, accept_timeout)
    with ns(host):
        c = vsock(proto, family_of(addr))
    if before:
        before(c)
    if timeout is not None:
        c.settimeout(timeout)
    if client_port:
        c.bind((host_addr(host, family_of(addr)), client_port))
    c.connect((addr, port))
    s, _ = ls.accept()
    ls.close()
    if server_timeout is not None:
        s.settimeout(server_timeout)
    return c, s


def sioc_inq(s):
    """SIOCINQ: the bytes @s has received and not yet read."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD,
                                          b"\0" * 4))[0]


def sioc_outq(s):
    """SIOCOUTQ: the bytes @s has queued and not yet had acknowledged."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ,
                                          b"\0" * 4))[0]


def call_timed_out(e):
    """Did the OSError @e end a call at its socket's timeout
    (settimeout())? Python raises that and the kernel's ETIMEDOUT (a
    connection that gave up) as one class, TimeoutError, alias
    socket.timeout: only the kernel's has an errno."""
    return isinstance(e, socket.timeout) and e.errno is None


def recv_exactly(s, n):
    """@n bytes from @s, fewer only if the stream ends first."""
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def vtcp_ss(host, *args):
    """tools/vtcp/vtcp ss @args in @host's namespace: its output lines."""
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.run(["ip", "netns", "exec", host,
                           os.path.join(here, "..", "tools", "vtcp", "vtcp"),
                           "ss"] + list(args), capture_output=True,
                          text=True).stdout.splitlines()


def show_sockets(tap, hosts=("a", "b")):
    """@hosts' vtcp sockets with timers, windows and counters, as TAP
    diagnostics: what a failing case leaves behind."""
    for host in hosts:
        for line in vtcp_ss(host, "-a", "-o", "-i", "-e"):
            tap.msg("%s: %s" % (host, line))
        with ns(host):
            tap.msg("%s: %r" % (host, stats()))


def vtcp_states(host):
    """How many of @host's vtcp sockets are in each state, from sock_diag
    (tools/vtcp/vtcp ss -a): {"LAST-ACK": 3, ...}."""
    n = {}
    for line in vtcp_ss(host, "-a", "-H"):
        if line.split():
            n[line.split()[0]] = n.get(line.split()[0], 0) + 1
    return n
