#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installing vtcp as a user would, in a guest whose root is a throwaway
# overlay: the Debian packages of make deb (dpkg -i; DKMS builds the
# module for this kernel; the first socket() loads it through its alias;
# a kernel installed later gets its build from DKMS's kernel hook; dpkg
# --purge leaves nothing), then the same with make install and make
# uninstall.
#
# Run it in a guest without the harness's module, after make and make deb,
# as make check does (selftests/host/packages.sh):
#
#   selftests/host/packages.sh 6.12
#
# DKMS builds the module under TCG: for this kernel, and on a 6.1 guest
# for 6.12 too, as a kernel upgrade (its kernel hook, once 6.12's headers
# appear). With VTCP_CCACHE_DIR naming the cache that scripts/dkms-cache
# filled, each build takes about 3 minutes; without, half an hour.
# VTCP_PACKAGES_VERBOSE=1 shows what dpkg and make say.

cd "$(dirname "$0")" || exit 1
. ./lib.sh

repo=$(cd .. && pwd)
rel=$(uname -r)
ver=$(cat "$repo/VERSION" 2>/dev/null)
deb_dkms=$repo/build/deb/vtcp-dkms_${ver}_all.deb
deb_tools=$repo/build/deb/vtcp-tools_${ver}_$(dpkg --print-architecture).deb
log=/tmp/packages.log
plan=16

export DEBIAN_FRONTEND=noninteractive

# show_log: the last command's output, as TAP comments.
show_log() { tail -n 40 "$log" | sed 's/^/#   /'; }

# logged CMD...: CMD with its output in $log, shown if it fails (always,
# as it comes, with VTCP_PACKAGES_VERBOSE=1).
logged() {
	if [ -n "${VTCP_PACKAGES_VERBOSE:-}" ]; then
		"$@" 2>&1 | tee "$log" | sed -u "s/^/#   /"
		return "${PIPESTATUS[0]}"
	fi
	"$@" >"$log" 2>&1 && return 0
	show_log
	return 1
}

skip_all() {
	local i

	ktap_header $plan
	ktap_msg "$1"
	for i in $(seq $plan); do
		ktap_skip "packages case $i" "$1"
	done
	ktap_finish
}

# open_socket FAMILY [PROTO]: socket(AF_INET or AF_INET6, SOCK_STREAM,
# PROTO), closed at once; as a program would, with no modprobe first.
open_socket() {
	local af=AF_INET

	[ "$1" = 6 ] && af=AF_INET6
	python3 -c "import socket; socket.socket(socket.$af, socket.SOCK_STREAM, ${2:-253}).close()" 2>/dev/null
}

# autoloads FAMILY: the module is not loaded, socket() loads it.
autoloads() {
	vtcp_unload || return 1
	! vtcp_loaded && open_socket "$1" && vtcp_loaded
}

# The other supported kernel with headers.
other_kernel() {
	local d r

	for d in /lib/modules/*/build; do
		r=${d%/build}
		r=${r##*/}
		[ "$r" != "$rel" ] && [ -d "$d/include" ] || continue
		case "$r" in 6.1.*|6.12.*) echo "$r"; return 0 ;; esac
	done
	return 1
}

# hide_unused_modules RELEASE...: empty tmpfs over the drivers and sound
# modules of each RELEASE, which this guest never loads. depmod reads
# every module of a release, and DKMS, its kernel hook, dpkg --purge and
# make install run it six times: under TCG about 100 s each with the
# 3500 modules hidden here, 17 s without them. What depmod writes for
# vtcp (modules.dep, its alias) does not change.
hide_unused_modules() {
	local r d

	for r in "$@"; do
		for d in drivers sound; do
			[ -d "/lib/modules/$r/kernel/$d" ] &&
				mount -t tmpfs -o size=1m,mode=755 none "/lib/modules/$r/kernel/$d"
		done
	done
}

# hide_headers RELEASE: RELEASE's headers look not installed (an empty
# tmpfs over them), as before a kernel upgrade; show_headers undoes it.
hide_headers() { mount -t tmpfs -o size=1m none "$(readlink -f "/lib/modules/$1/build")"; }
show_headers() { umount "$(readlink -f "/lib/modules/$1/build")"; }

# newer_kernel: the other kernel, if it is newer than this one.
newer_kernel() {
	[ -n "$other" ] && dpkg --compare-versions "$other" gt "$rel" &&
		echo "$other"
}

dkms_state() { dkms status -m vtcp -v "$ver" -k "$1" 2>/dev/null; }

# dkms_installed RELEASE: DKMS says so, and the file is in place.
dkms_installed() {
	dkms_state "$1" | grep -q ': installed' &&
		compgen -G "/lib/modules/$1/updates/dkms/vtcp.ko*" >/dev/null
}

# modinfo's file for vtcp is under DIR (updates/dkms, extra).
module_from() { modinfo -n vtcp 2>/dev/null | grep -q "/lib/modules/$rel/$1/vtcp.ko"; }

# The settings in /etc/sysctl.d reach a module that socket() loads: the
# udev rule of vtcp-dkms runs systemd-sysctl. The guest has no udevd of
# its own: one is started for the case, and stopped after.
sysctl_on_load() {
	local conf=/etc/sysctl.d/vtcp.conf ok=1 udevd=/lib/systemd/systemd-udevd

	echo 'net.vtcp.msl_ms = 1234' >$conf
	vtcp_unload
	$udevd --daemon >/dev/null 2>&1 || { rm -f $conf; return 1; }
	open_socket 4 && udevadm settle --timeout=30 &&
		[ "$(cat /proc/sys/net/vtcp/msl_ms 2>/dev/null)" = 1234 ] && ok=0
	udevadm control --exit 2>/dev/null
	rm -f $conf
	return $ok
}

# The options in /etc/modprobe.d apply to the autoload: proto=254, so the
# socket() on 253 that loaded the module fails, and 254 works after.
modprobe_options() {
	local conf=/etc/modprobe.d/vtcp.conf ok=1

	echo 'options vtcp proto=254' >$conf
	vtcp_unload
	open_socket 4 253
	vtcp_loaded && grep -qx 254 /sys/module/vtcp/parameters/proto &&
		open_socket 4 254 && ok=0
	rm -f $conf
	vtcp_unload
	return $ok
}

# echo_server PORT: the demo's echo server, on 127.0.0.1, one connection
# (the module loads with its socket); its pid in $echo_pid.
echo_server() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
while data := c.recv(65536):
    c.sendall(data)
c.close()' "$1" &
	echo_pid=$!
}

# listening PORT: vtcp ss lists a vtcp listener on PORT (5 s at most).
listening() {
	local i

	for i in $(seq 50); do
		/usr/bin/vtcp ss -tln 2>/dev/null | grep -q "127.0.0.1:$1 " &&
			return 0
		sleep 0.1
	done
	return 1
}

# echoes: vtcpcat sends 1 MiB to the echo server and gets it back.
echoes() {
	local ok=1

	head -c 1048576 /dev/urandom >/tmp/echo.in
	timeout 60 /usr/bin/vtcpcat 127.0.0.1 7007 </tmp/echo.in >/tmp/echo.out &&
		cmp -s /tmp/echo.in /tmp/echo.out && ok=0
	wait "$echo_pid" || ok=1
	return $ok
}

# no_connections: vtcp ss lists no socket, TIME-WAIT included.
no_connections() { [ -z "$(/usr/bin/vtcp ss -Htan 2>/dev/null)" ]; }

# None of the packages' files is left.
nothing_left() {
	local left

	left=$(ls -d /lib/modules/*/updates/dkms/vtcp.ko* /var/lib/dkms/vtcp \
		/usr/src/vtcp-* /usr/bin/vtcp /usr/bin/vtcpcat /usr/bin/vtcpperf \
		/lib/udev/rules.d/60-vtcp.rules /usr/share/doc/vtcp-dkms \
		/usr/share/doc/vtcp-tools /usr/share/man/man8/vtcp.8.gz 2>/dev/null)
	[ -z "$left" ] && ! dpkg -s vtcp-dkms >/dev/null 2>&1 &&
		! dpkg -s vtcp-tools >/dev/null 2>&1 && ! modinfo vtcp >/dev/null 2>&1 &&
		return 0
	ktap_msg "left: ${left:-none} $(dpkg -l 'vtcp*' 2>/dev/null | grep '^.[^n]')"
	return 1
}

made_left() {
	local left

	left=$(ls -d /lib/modules/"$rel"/extra/vtcp.ko* /usr/local/bin/vtcp \
		/usr/local/bin/vtcpcat /usr/local/bin/vtcpperf \
		/usr/local/share/man/man1/vtcpcat.1 /usr/local/share/man/man1/vtcpperf.1 \
		/usr/local/share/man/man7/vtcp.7 /usr/local/share/man/man8/vtcp.8 \
		/usr/local/share/doc/vtcp /etc/udev/rules.d/60-vtcp.rules 2>/dev/null)
	[ -z "$left" ] && ! modinfo vtcp >/dev/null 2>&1 && return 0
	ktap_msg "left: ${left:-none}"
	return 1
}

# --- the checks before anything is installed -------------------------------

[ -n "$ver" ] || skip_all "no VERSION file in $repo"
[ -f "$deb_dkms" ] && [ -f "$deb_tools" ] ||
	skip_all "no packages in $repo/build/deb: run make deb"
[ -e /etc/modprobe.d/vm-run.conf ] &&
	skip_all "vm-run inserted its own vtcp.ko: run with --no-module"
command -v dkms >/dev/null || skip_all "dkms is not installed: make deps"
[ -d "/lib/modules/$rel/build/include" ] ||
	skip_all "no headers for $rel"
if dpkg -s vtcp-dkms >/dev/null 2>&1 || modinfo vtcp >/dev/null 2>&1; then
	skip_all "vtcp is installed already: this wants a clean root"
fi
other=$(other_kernel)
newer=$(newer_kernel)

# The compiler's cache, warmed on the host by scripts/warm-dkms-cache for
# the same tree at the same path: Debian's kernel headers run ccache when
# DEBIAN_KERNEL_USE_CCACHE is set. Read-only: the guest adds nothing.
if [ -n "$VTCP_CCACHE_DIR" ]; then
	export DEBIAN_KERNEL_USE_CCACHE=1 CCACHE_DIR=$VTCP_CCACHE_DIR
	export CCACHE_READONLY=1 CCACHE_TEMPDIR=/tmp/ccache
	# The kernel's headers are the host's files, shared: their size,
	# mtime and ctime, as ccache's manifests recorded them on the host,
	# say they are the same, without reading them all again under TCG.
	export CCACHE_SLOPPINESS=file_stat_matches
	# The locale is in ccache's hash: none, as scripts/dkms-cache.
	unset LANG LC_ALL LC_CTYPE LC_MESSAGES
	ccache -z >/dev/null 2>&1
fi

ktap_header $plan
ktap_msg "vtcp $ver on $rel${newer:+; the kernel to upgrade to: $newer}"

# dpkg's triggers: man-db's index rebuild would take minutes under TCG.
# Its trigger looks for this file (what debconf's man-db/auto-update
# sets when man-db is configured).
rm -f /var/lib/man-db/auto-update
hide_unused_modules "$rel" $other
vtcp_unload
# The newer kernel is installed after the packages: DKMS's postinst would
# build for it too, its kernel hook must.
[ -z "$newer" ] || hide_headers "$newer"

# --- the Debian packages ---------------------------------------------------

ktap_check "dpkg -i vtcp-dkms and vtcp-tools" \
	logged dpkg -i "$deb_dkms" "$deb_tools"
ktap_check "DKMS built and installed vtcp $ver for $rel" dkms_installed "$rel"
ktap_check "modinfo vtcp: version $ver, from updates/dkms" \
	eval '[ "$(modinfo -F version vtcp 2>/dev/null)" = "$ver" ] && module_from updates/dkms'
ktap_check "socket(AF_INET, SOCK_STREAM, 253) loads the module" autoloads 4
ktap_check "socket(AF_INET6, SOCK_STREAM, 253) loads the module" autoloads 6
ktap_check "vtcp --version says $ver" \
	eval '/usr/bin/vtcp --version | grep -q "^vtcp $ver "'
# The echo, with a short TIME-WAIT (2 x 100 ms) that lets vtcp unload after.
open_socket 4 && echo 100 >/proc/sys/net/vtcp/msl_ms
echo_server 7007
ktap_check "vtcp ss lists the echo server's vtcp listener" listening 7007
ktap_check "vtcpcat: 1 MiB through the echo server, intact" echoes
kill "$echo_pid" 2>/dev/null
wait_for no_connections
vtcp_unload
ktap_check "modprobe.d's proto= applies to the autoload" modprobe_options
if [ -x /lib/systemd/systemd-udevd ]; then
	ktap_check "the udev rule applies sysctl.d when socket() loads vtcp" \
		sysctl_on_load
else
	ktap_skip "the udev rule applies sysctl.d when socket() loads vtcp" \
		"no systemd-udevd"
fi
vtcp_unload

# A kernel upgrade: the newer kernel's headers appear, and its postinst
# hook runs DKMS's autoinstall. A guest of the newest kernel has nothing
# to upgrade to; the 6.1 guest's test is the one.
if [ -z "$newer" ]; then
	ktap_skip "a kernel upgrade: DKMS's kernel hook builds vtcp" \
		"no newer kernel than $rel with headers (a 6.1 guest tests it)"
else
	show_headers "$newer"
	ktap_check "a kernel upgrade to $newer: DKMS's kernel hook builds and installs vtcp" \
		eval '! dkms_installed "$newer" &&
		      logged /etc/kernel/postinst.d/dkms "$newer" && dkms_installed "$newer"'
fi

ktap_check "dpkg --purge vtcp-tools vtcp-dkms" \
	logged dpkg --purge vtcp-tools vtcp-dkms
ktap_check "nothing of the packages is left" nothing_left

# --- make install, make uninstall ------------------------------------------

# The tree make install builds was built on the host without ccache
# (selftests/host/packages.sh): with DKMS's ccache variable its compiler's
# command would differ, and make would build it all again, under TCG.
unset DEBIAN_KERNEL_USE_CCACHE
ktap_check "make install: the module in extra/, the tools in /usr/local" \
	eval 'logged make -C "$repo" install KVER="$rel" &&
	      module_from extra && [ -x /usr/local/bin/vtcp ] &&
	      [ "$(modinfo -F version vtcp)" = "$ver" ]'
ktap_check "make install: socket() loads the module" \
	eval 'autoloads 4 && /usr/local/bin/vtcp ss -tan >/dev/null'
vtcp_unload
ktap_check "make uninstall: nothing is left" \
	eval 'logged make -C "$repo" uninstall KVER="$rel" && made_left'

[ -n "$VTCP_CCACHE_DIR" ] && ccache -s 2>/dev/null | sed "s/^/# ccache: /"
ktap_finish
