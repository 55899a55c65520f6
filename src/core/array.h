/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_ARRAY_H
#define PS_CORE_ARRAY_H

#include <stddef.h>

/*
 * Room for one more element in a growable array (git's ALLOC_GROW, as a function). When n has
 * reached *cap the array is reallocated to twice its capacity (first when it is empty) and
 * *cap is updated. Returns the array, moved or not, or NULL when memory ran out or the size
 * would overflow; the old array is then untouched and still the caller's.
 */
void *ps_array_grow(void *items, size_t n, size_t *cap, size_t elem, size_t first);

#endif
