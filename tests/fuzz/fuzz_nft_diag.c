/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: bytes as the JSON of `nft -j list ruleset`, then verdicts for a few
 * packets over whatever ruleset parsed. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit/firewall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = {22, 53, 80, 7001, 31337};
	struct audit_fw *fw = NULL;
	struct ps_addr a;
	char why[96];
	size_t i;

	if (audit_fw_parse((const char *)data, size, &fw, NULL))
		return 0;
	ps_addr_parse("192.0.2.2", &a);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct audit_fw_query q = {
		    .family = AF_INET, .proto = IPPROTO_TCP, .port = ports[i]};
		enum audit_fw_verdict v;

		v = audit_fw_judge(fw, &q, why, sizeof(why));
		if (v == AUDIT_FW_NA || strlen(why) >= sizeof(why))
			abort();
		q.daddr = &a;
		audit_fw_judge(fw, &q, why, sizeof(why));
		q.family = AF_INET6;
		q.proto = IPPROTO_UDP;
		q.daddr = NULL;
		audit_fw_judge(fw, &q, why, sizeof(why));
	}
	audit_fw_free(fw);
	return 0;
}
