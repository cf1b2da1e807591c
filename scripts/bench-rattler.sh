#!/usr/bin/env bash
# bench-rattler.sh: envlock's installer side by side with py-rattler's
# (rattler.install) on one lock and one package cache: 40 packages,
# 10,000 files, cold (archives cached, nothing extracted) and warm
# (extracted), on tmpfs (/dev/shm) and on disk, rounds interleaved, medians
# and the ratio envlock/rattler (below 1: envlock is faster). With
# --strace it also counts the system calls of one install of each
# (strace -c -f).
#
# It runs install's BenchmarkInstallVsRattler (see its doc comment for
# what exactly is timed); without py-rattler the benchmark skips, saying
# how to get it. Usage:
#
#	scripts/bench-rattler.sh [--strace] [ROUNDS]
#
# ROUNDS (default 5) is how many envlock/rattler pairs each case runs.
# ENVLOCK_BENCH_DISK=DIR picks the disk directory (default: the test's
# temporary directory, which must not be a tmpfs). On ext4 without a
# journal the disk cases first wait 65 s, so that inodes freed by earlier
# runs do not slow the first rounds' file creations (see settleInodes);
# a journaled file system, such as an ext4 image on a loop device, needs
# no wait:
#
#	truncate -s 8G /var/tmp/ext4.img && mkfs.ext4 -q -F /var/tmp/ext4.img
#	mkdir -p /mnt/ext4j && mount -o loop /var/tmp/ext4.img /mnt/ext4j
#	ENVLOCK_BENCH_DISK=/mnt/ext4j scripts/bench-rattler.sh 7
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

strace=0
if [ "${1:-}" = --strace ]; then
	strace=1
	shift
	if ! command -v strace >/dev/null 2>&1; then
		echo "bench-rattler: strace is not installed (apt-get install -y strace)" >&2
		exit 1
	fi
fi
rounds="${1:-5}"

if ! python3 -c 'import rattler' >/dev/null 2>&1; then
	echo "bench-rattler: skipped: py-rattler is not installed (python3 -m pip install py-rattler==0.28.0, as .ci/run does)"
	exit 0
fi

echo "bench-rattler: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
ENVLOCK_BENCH_STRACE=$strace go test ./install -run '^$' -bench '^BenchmarkInstallVsRattler$' \
	-benchtime="${rounds}x" -timeout 30m |
	grep -v '^\(goos\|goarch\|pkg\|cpu\|PASS\|ok\)'
echo "bench-rattler: load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
