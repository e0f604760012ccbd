#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static.sh: what needs no VM. The generated state machine documents match
# the table, the man pages render without warnings, checkpatch is clean.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

ktap_header 4
ktap_check "Documentation/fsm.rst and fsm.dot match mod/fsm.c (scripts/fsm-doc --check)" \
	scripts/fsm-doc --check
ktap_check "Documentation/vtcp.7 renders without warnings" \
	eval '[ -z "$(groff -man -ww -z Documentation/vtcp.7 2>&1)" ]'
ktap_check "Documentation/vtcp.8 renders without warnings" \
	eval '[ -z "$(groff -man -ww -z Documentation/vtcp.8 2>&1)" ]'
ktap_check "checkpatch --strict is clean (scripts/checkpatch)" \
	eval 'scripts/checkpatch >/tmp/checkpatch.$$ 2>&1 || { sed "s/^/# /" /tmp/checkpatch.$$; false; }'
rm -f /tmp/checkpatch.$$
ktap_finish
