/* SPDX-License-Identifier: MIT */
#include "siphash.h"

#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

/* Little-endian load regardless of host order or alignment. */
static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static struct net_siphash_state start(const struct net_siphash_key *key)
{
	return (struct net_siphash_state){
	    .v0 = 0x736f6d6570736575ULL ^ key->k0,
	    .v1 = 0x646f72616e646f6dULL ^ key->k1,
	    .v2 = 0x6c7967656e657261ULL ^ key->k0,
	    .v3 = 0x7465646279746573ULL ^ key->k1,
	};
}

/* The 8-byte blocks of in (len & ~7 bytes) into st. */
static void absorb(struct net_siphash_state *st, const uint8_t *in, size_t len)
{
	uint64_t v0 = st->v0, v1 = st->v1, v2 = st->v2, v3 = st->v3, m;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	*st = (struct net_siphash_state){v0, v1, v2, v3};
}

/* The last partial block (left < 8 bytes at tail), the length, and the finalization. */
static uint64_t finish(struct net_siphash_state st, const uint8_t *tail, size_t left,
		       size_t total_len)
{
	uint64_t v0 = st.v0, v1 = st.v1, v2 = st.v2, v3 = st.v3;
	uint64_t b = (uint64_t)total_len << 56;
	uint8_t last[8] = {0};

	if (left)
		memcpy(last, tail, left);
	b |= load_le64(last);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t net_siphash24(const struct net_siphash_key *key, const void *data, size_t len)
{
	struct net_siphash_state st = start(key);

	absorb(&st, data, len);
	return finish(st, (const uint8_t *)data + (len & ~(size_t)7), len & 7, len);
}

struct net_siphash_state net_siphash24_prefix(const struct net_siphash_key *key,
					      const void *prefix, size_t len)
{
	struct net_siphash_state st = start(key);

	absorb(&st, prefix, len);
	return st;
}

uint64_t net_siphash24_rest(struct net_siphash_state st, const void *rest, size_t len,
			    size_t total_len)
{
	absorb(&st, rest, len);
	return finish(st, (const uint8_t *)rest + (len & ~(size_t)7), len & 7, total_len);
}

#define SIPROUND_LANES                                                                             \
	do {                                                                                       \
		for (k = 0; k < NET_SIPHASH_LANES; k++) {                                          \
			v0[k] += v1[k];                                                            \
			v1[k] = ROTL(v1[k], 13);                                                   \
			v1[k] ^= v0[k];                                                            \
			v0[k] = ROTL(v0[k], 32);                                                   \
			v2[k] += v3[k];                                                            \
			v3[k] = ROTL(v3[k], 16);                                                   \
			v3[k] ^= v2[k];                                                            \
			v0[k] += v3[k];                                                            \
			v3[k] = ROTL(v3[k], 21);                                                   \
			v3[k] ^= v0[k];                                                            \
			v2[k] += v1[k];                                                            \
			v1[k] = ROTL(v1[k], 17);                                                   \
			v1[k] ^= v2[k];                                                            \
			v2[k] = ROTL(v2[k], 32);                                                   \
		}                                                                                  \
	} while (0)

/* The lanes' loops are what the compiler interleaves (and vectorizes where it can). */
void net_siphash24_rest_lanes(struct net_siphash_state st,
			      const uint8_t (*rest)[NET_SIPHASH_REST_MAX], size_t len,
			      size_t total_len, uint64_t out[NET_SIPHASH_LANES])
{
	uint64_t v0[NET_SIPHASH_LANES], v1[NET_SIPHASH_LANES], v2[NET_SIPHASH_LANES],
		v3[NET_SIPHASH_LANES], m[NET_SIPHASH_LANES];
	size_t i, k, left = len & 7;

	for (k = 0; k < NET_SIPHASH_LANES; k++) {
		v0[k] = st.v0;
		v1[k] = st.v1;
		v2[k] = st.v2;
		v3[k] = st.v3;
	}
	for (i = 0; i + 8 <= len; i += 8) {
		for (k = 0; k < NET_SIPHASH_LANES; k++) {
			m[k] = load_le64(rest[k] + i);
			v3[k] ^= m[k];
		}
		SIPROUND_LANES;
		SIPROUND_LANES;
		for (k = 0; k < NET_SIPHASH_LANES; k++)
			v0[k] ^= m[k];
	}
	for (k = 0; k < NET_SIPHASH_LANES; k++) {
		uint8_t last[8] = {0};

		if (left)
			memcpy(last, rest[k] + i, left);
		m[k] = ((uint64_t)total_len << 56) | load_le64(last);
		v3[k] ^= m[k];
	}
	SIPROUND_LANES;
	SIPROUND_LANES;
	for (k = 0; k < NET_SIPHASH_LANES; k++) {
		v0[k] ^= m[k];
		v2[k] ^= 0xff;
	}
	SIPROUND_LANES;
	SIPROUND_LANES;
	SIPROUND_LANES;
	SIPROUND_LANES;
	for (k = 0; k < NET_SIPHASH_LANES; k++)
		out[k] = v0[k] ^ v1[k] ^ v2[k] ^ v3[k];
}

