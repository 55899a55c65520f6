#!/bin/bash
# The soak of bench/soak.sh in the shortened form CI runs: 198.18.0.0/20 of its lab (4096
# addresses, 188 of them answering on 16 ports) scanned again and again for 75 s under 2% loss
# at both ends while two busy loops hog the CPUs. Fails unless every run is exact with exit 0,
# the peak descriptors stay within 2 and peak RSS does not grow (bench/soak.sh SOAK_CHECK=1).
# The full ten-minute /16 soak is `bench/soak.sh BUILD_DIR`.
# usage: test_soak.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
LAB_DIR=${LAB_DIR:-$(dirname "$0")}
. "$LAB_DIR/lab.sh"
lab_require_root
build=$(cd "$(dirname "$1")/../.." && pwd)
[ "$(realpath "$build/tests/net/lab_listen")" = "$(realpath "$2")" ] ||
	{ echo "test_soak: $2 is not the lab listener of $build" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
SOAK_NET=198.18.0.0/20 SOAK_CHECK=1 BENCH_RESULTS=$out/RESULTS.md \
	bash "$LAB_DIR/../../bench/soak.sh" "$build" "${SOAK_SECONDS:-75}"
rc=$?
sed -n '/^| run /,$p' "$out/RESULTS.md" 2>/dev/null
exit $rc
