# SPDX-License-Identifier: GPL-2.0
"""Shared by run.py and apps.py: programs run under `vtcp run` in the
namespaces of vtcplib.two_hosts, and the proof that their connections
were vtcp's (its open counters moved, TCP's did not; vtcp ss sees the
listener)."""
import hashlib
import os
import subprocess
import tempfile
import time

from vtcplib import V6, addr, ns, stats, vtcp_ss

HERE = os.path.dirname(os.path.abspath(__file__))
VTCP = os.path.join(HERE, "..", "tools", "vtcp", "vtcp")
FAM = "6" if V6 else "4"


def run(cmd, host=None, timeout=60, capture=True):
    """@cmd (a list) in @host's namespace: the CompletedProcess. Without
    @capture, its output goes nowhere: a daemon it leaves behind does not
    hold our pipes open."""
    if host:
        cmd = ["ip", "netns", "exec", host] + cmd
    if capture:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    return subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=timeout)


def start(cmd, host=None):
    if host:
        cmd = ["ip", "netns", "exec", host] + cmd
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def tcp_opens(host):
    """TCP's ActiveOpens + PassiveOpens in @host (IPv4 and IPv6)."""
    with ns(host):
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Tcp:")]
    row = dict(zip(rows[0], rows[1]))
    return int(row["ActiveOpens"]) + int(row["PassiveOpens"])


def vtcp_opens(host):
    with ns(host):
        s = stats()
    return s["ActiveOpens"] + s["PassiveOpens"]


class Opens:
    """Open counters of hosts a and b, TCP's and vtcp's, before a case
    whose outcome goes to @tap."""

    def __init__(self, tap):
        self.tap = tap
        self.tcp = [tcp_opens(h) for h in "ab"]
        self.vtcp = [vtcp_opens(h) for h in "ab"]

    def moved(self):
        """How far TCP's and vtcp's opens moved on a and b since."""
        tcp = [tcp_opens(h) - t for h, t in zip("ab", self.tcp)]
        vt = [vtcp_opens(h) - t for h, t in zip("ab", self.vtcp)]
        return tcp, vt

    def check(self, what, n=1):
        """@n connections between a and b were vtcp's, none TCP's."""
        tcp, vt = self.moved()
        return self.tap.ok(tcp == [0, 0] and vt == [n, n],
                           "%s: vtcp opens +%d on a and b, TCP's +0" %
                           (what, n),
                           "TCP opens moved by %r, vtcp's by %r" % (tcp, vt))


def listening(host, port, timeout=30):
    """Whether vtcp ss in @host shows a listener on @port, polled (a
    Python server under the debug kernel takes some 10 s to start)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(":%d " % port in l + " " for l in vtcp_ss(host, "-l", "-H")):
            return True
        time.sleep(0.1)
    return False


def wait_out(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out, err


def url(host, port, path):
    a = addr(host)
    return "http://%s:%d/%s" % ("[%s]" % a if V6 else a, port, path)


def host_port(host, port):
    """@host's address and @port as URLs and ssh spell them."""
    a = addr(host)
    return "[%s]:%d" % (a, port) if V6 else "%s:%d" % (a, port)


def can_trap():
    """Whether vtcp run can trap socket() here (not without
    CONFIG_SECCOMP_FILTER: the debug kernel), and the probe's outcome,
    its cmd_ran saying whether CMD (touch) ran."""
    marker = tempfile.mktemp()
    r = run([VTCP, "run", "--", "touch", marker])
    r.cmd_ran = os.path.exists(marker)
    if r.cmd_ran:
        os.unlink(marker)
    return r.returncode == 0 and r.cmd_ran, r


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 2;
user root;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {listen} reuseport;
        root {d}/www;
    }}
}}
"""


def nginx_conf(d, listen):
    """nginx.conf for a server of the files in @d/www on @listen ("addr:port"
    or "[addr]:port"): in the foreground, 2 workers with an SO_REUSEPORT
    listener each, sendfile, all its files in @d."""
    return NGINX_CONF.format(d=d, listen=listen)


def sha256_of(path):
    """The SHA-256 of the file @path, hex, read a MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
