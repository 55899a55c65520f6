#!/bin/bash
# The lab's own safety check: lab_in must refuse to run anything in a namespace that could reach
# a real network (a default route, an interface that is not a lab veth or dummy) or that this
# lab did not create, and allow it in a sealed one. Every scan of every test goes through it.
set -u
LAB_PREFIX=psgrd$$
. "$LAB_DIR/lab.sh"
lab_require_root
trap lab_cleanup EXIT
NS=${LAB_PREFIX}g
lab_netns_add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add d0 type veth peer name d1
ip -n "$NS" link set d1 up
ip -n "$NS" addr add 198.18.7.1/24 dev d0
ip -n "$NS" link set d0 up

runs() { lab_in "$@" true 2>/dev/null && echo runs || echo refused; }

lab_check "a sealed namespace of the lab" runs "$(runs "$NS")"
lab_check "a namespace the lab did not create" refused "$(runs "${LAB_PREFIX}nope")"
ip -n "$NS" route add default via 198.18.7.254
lab_check "an IPv4 default route" refused "$(runs "$NS")"
ip -n "$NS" route del default
ip -n "$NS" -6 addr add 2001:db8:7::1/64 dev d0 nodad
ip -n "$NS" -6 route add default via 2001:db8:7::fe dev d0
lab_check "an IPv6 default route" refused "$(runs "$NS")"
ip -n "$NS" -6 route del default
lab_check "sealed again" runs "$(runs "$NS")"
ip -n "$NS" link add br0 type bridge
lab_check "an interface that is not a veth or dummy" refused "$(runs "$NS")"
ip -n "$NS" link del br0
# The check runs before the command: nothing ran in a refused namespace.
ip -n "$NS" route add default via 198.18.7.254
rm -f "/tmp/$LAB_PREFIX.ran"
lab_in "$NS" touch "/tmp/$LAB_PREFIX.ran" 2>/dev/null
lab_check "a refused command does not run" absent "$([ -e "/tmp/$LAB_PREFIX.ran" ] && echo present || echo absent)"
lab_done
