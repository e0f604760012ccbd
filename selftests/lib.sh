# SPDX-License-Identifier: GPL-2.0
#
# Shared by the shell selftests: TAP output and module helpers. Tests run
# as root inside the VM (scripts/vm-run), from the selftests directory.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_n=0
ktap_fails=0
ktap_skips=0
ktap_plan=
ktap_done=
declare -A ktap_results		# case function: the results it reports
ktap_miscounted=()

# ktap_header PLAN: the plan, checked at exit (ktap_finish, or the EXIT
# trap if the test leaves without it: fewer cases than planned fail).
ktap_header() {
	ktap_plan=$1
	echo "TAP version 13"
	echo "1..$1"
	trap ktap_at_exit EXIT
}

# ktap_case FN N: function FN is a case that reports N results; said
# beside FN, as Python's @case(n) above its def.
ktap_case() { ktap_results[$1]=$2; }

# ktap_run FN...: plan what the cases FN... report (ktap_case), run them
# in order, each one's time a diagnostic, then ktap_finish. A case that
# reports more or fewer results than ktap_case said fails the test, named.
ktap_run() {
	local fn n t0 ms plan=0

	for fn in "$@"; do
		if [ -z "${ktap_results[$fn]}" ]; then
			echo "ktap_run: no ktap_case for $fn" >&2
			exit $KSFT_FAIL
		fi
		plan=$((plan + ktap_results[$fn]))
	done
	ktap_header $plan
	for fn in "$@"; do
		n=$ktap_n
		t0=$(date +%s%N)
		"$fn"
		ms=$((($(date +%s%N) - t0) / 1000000))
		ktap_msg "$fn: $((ms / 1000)).$((ms % 1000 / 100)) s"
		n=$((ktap_n - n))
		[ $n = "${ktap_results[$fn]}" ] || ktap_miscounted+=(
			"$fn reported $n results, not ${ktap_results[$fn]}")
	done
	ktap_finish
}
ktap_msg() { echo "# $*"; }
ktap_pass() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n $*"; }
ktap_fail() {
	ktap_n=$((ktap_n + 1))
	ktap_fails=$((ktap_fails + 1))
	echo "not ok $ktap_n $*"
}
# ktap_skip NAME REASON: "ok N NAME # SKIP REASON", counted as a skip.
ktap_skip() {
	ktap_n=$((ktap_n + 1))
	ktap_skips=$((ktap_skips + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

# ktap_check NAME CMD...: one case, passing when CMD succeeds.
ktap_check() {
	local name=$1
	shift
	if "$@"; then ktap_pass "$name"; else ktap_fail "$name"; fi
}

# The Totals line, then 1 if a case failed, reported more or fewer
# results than it said, or the plan was not run, 4
# (KSFT_SKIP) if every case was skipped, else 0.
ktap_verdict() {
	local passes=$((ktap_n - ktap_fails - ktap_skips))

	echo "# Totals: pass:$passes fail:$ktap_fails skip:$ktap_skips"
	[ ${#ktap_miscounted[@]} = 0 ] || {
		printf '# %s\n' "${ktap_miscounted[@]}"
		return $KSFT_FAIL
	}
	if [ "$ktap_n" != "$ktap_plan" ]; then
		echo "# planned $ktap_plan cases, ran $ktap_n: the test did not run them all"
		return $KSFT_FAIL
	fi
	[ "$ktap_fails" -eq 0 ] || return $KSFT_FAIL
	[ "$ktap_skips" -gt 0 ] && [ "$passes" -eq 0 ] && return $KSFT_SKIP
	return $KSFT_PASS
}

ktap_finish() {
	local rc

	ktap_verdict
	rc=$?
	ktap_done=1
	exit $rc
}

ktap_at_exit() {
	local rc=$?

	[ -z "$ktap_done" ] || exit "$rc"
	echo "# the test exited (status $rc) before ktap_finish"
	ktap_verdict
	rc=$?
	exit $((rc == KSFT_PASS || rc == KSFT_SKIP ? KSFT_FAIL : rc))
}

# The module file for the running kernel (vm-run exports VM_MODULE).
vtcp_module() {
	echo "${VM_MODULE:-../build/$(uname -r)/vtcp.ko}"
}

vtcp_loaded() { [ -d /sys/module/vtcp ]; }

vtcp_unload() { ! vtcp_loaded || rmmod vtcp; }

vtcp_load() { vtcp_unload && insmod "$(vtcp_module)" "$@"; }

# vtcp_stat NAME: one counter of /proc/net/vtcp_stats.
vtcp_stat() { awk -v n="$1" '$1 == n { print $2 }' /proc/net/vtcp_stats; }

# wait_for COND...: poll COND for up to 5 s.
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
