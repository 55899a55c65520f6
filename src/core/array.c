/* SPDX-License-Identifier: MIT */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

void *ps_array_grow(void *items, size_t n, size_t *cap, size_t elem, size_t first)
{
	size_t want;
	void *p;

	if (n < *cap)
		return items;
	want = *cap ? *cap : first / 2 ? first / 2 : 1;
	if (want > SIZE_MAX / 2 / elem)
		return NULL;
	want *= 2;
	p = realloc(items, want * elem);
	if (p)
		*cap = want;
	return p;
}
