#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# For harness.sh only: a "selftest" that loads nothing and passes, and
# says which boot of the guest ran it.
echo "ok 1 run in the boot $(cat /proc/sys/kernel/random/boot_id)"
