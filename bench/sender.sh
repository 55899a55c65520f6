#!/bin/bash
# The raw sender compared on the veth lab: sendmmsg (what portsight uses) against
# PACKET_TX_RING, with 1 and 2 sending threads, SYN frames from the SYN module's template path.
# The target namespace drops every frame at its netdev ingress hook (nothing answers, the
# target's stack costs nothing), so what is measured is the sender and the veth (this kernel
# has no dummy driver to measure the sender alone). AF_XDP is not
# tried: libxdp is not installed here (Debian's libxdp-dev 1.3.1 would be; see RESULTS.md).
# usage: bench/sender.sh BUILD_DIR [PACKETS]   (root)
set -u
build=${1:?usage: bench/sender.sh BUILD_DIR [PACKETS]}
packets=${2:-2000000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
LAB_PREFIX=rsmb$$
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

libs=
for l in scan net core; do
	libs="$libs $build/src/$l/libps_$l.a"
done
# shellcheck disable=SC2086
cc -O2 -std=c17 -D_GNU_SOURCE -I"$root/src" "$here/sender_bench.c" -Wl,--start-group $libs \
	-Wl,--end-group -lpthread -lm $(pkg-config --libs libcrypto libmnl libcap libseccomp) \
	-o "$tmp/sender_bench" || die "cannot build sender_bench against $build"
lab_init || die "no lab"
lab_nft "$LAB_T" 'table netdev rsm_drop {
	chain in { type filter hook ingress device vt priority -500; policy drop; }
}' || die "nft"
echo "sender comparison on the veth lab, $packets SYN frames each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for way in mmsg ring; do
	for threads in 1 2; do
		for run in 1 2 3; do
			lab_s "$tmp/sender_bench" vs $way $threads "$packets" || die "$way failed"
		done
	done
done
