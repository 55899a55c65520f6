/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_CLOCK_H
#define PS_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds: all timeouts and RTTs are measured on this clock. */
static inline uint64_t ps_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
