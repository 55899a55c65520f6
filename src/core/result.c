/* SPDX-License-Identifier: MIT */
#include "result.h"
#include "target.h"

static const char *const state_names[PORT_STATE_COUNT] = {
	[PORT_OPEN] = "open",
	[PORT_CLOSED] = "closed",
	[PORT_FILTERED] = "filtered",
	[PORT_OPEN_FILTERED] = "open|filtered",
};

static const char *const reason_names[REASON_COUNT] = {
	[REASON_NONE] = "unknown",
	[REASON_SYN_ACK] = "syn-ack",
	[REASON_CONN_REFUSED] = "conn-refused",
	[REASON_RESET] = "reset",
	[REASON_NO_RESPONSE] = "no-response",
	[REASON_HOST_UNREACH] = "host-unreach",
	[REASON_NET_UNREACH] = "net-unreach",
	[REASON_ICMP_NET_UNREACH] = "icmp-net-unreachable",
	[REASON_ICMP_HOST_UNREACH] = "icmp-host-unreachable",
	[REASON_ICMP_PROTO_UNREACH] = "icmp-proto-unreachable",
	[REASON_ICMP_PORT_UNREACH] = "icmp-port-unreachable",
	[REASON_ICMP_NET_PROHIBITED] = "icmp-net-prohibited",
	[REASON_ICMP_HOST_PROHIBITED] = "icmp-host-prohibited",
	[REASON_ICMP_ADMIN_PROHIBITED] = "icmp-admin-prohibited",
	[REASON_LOCAL_PROHIBITED] = "local-prohibited",
	[REASON_UDP_RESPONSE] = "udp-response",
	[REASON_ECHO_REPLY] = "echo-reply",
	[REASON_TIMESTAMP_REPLY] = "timestamp-reply",
	[REASON_ARP_RESPONSE] = "arp-response",
	[REASON_ND_RESPONSE] = "nd-response",
	[REASON_USER_SET] = "user-set",
	[REASON_LOCALHOST_RESPONSE] = "localhost-response",
	[REASON_NO_ROUTE] = "no-route",
	[REASON_PORT_UNREACH] = "port-unreach",
};

const char *port_state_name(enum port_state state)
{
	return (unsigned)state < PORT_STATE_COUNT ? state_names[state] : "unknown";
}

const char *port_reason_name(enum port_reason reason)
{
	return (unsigned)reason < REASON_COUNT ? reason_names[reason] : "unknown";
}

int port_result_answered(const struct port_result *res)
{
	return !((res->state == PORT_FILTERED || res->state == PORT_OPEN_FILTERED) &&
		 res->reason == REASON_NO_RESPONSE);
}

const struct host_status *host_table_find(const struct host_table *table,
					  const struct ps_addr *addr)
{
	uint64_t index;

	if (!table || !table->status || !target_list_index_of(table->targets, addr, &index))
		return NULL;
	return &table->status[index];
}
