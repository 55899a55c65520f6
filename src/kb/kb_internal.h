/* SPDX-License-Identifier: MIT */
#ifndef PS_KB_KB_INTERNAL_H
#define PS_KB_KB_INTERNAL_H

#include <stddef.h>

/* ports.kb as bytes, generated at build time by embed.py (not NUL-terminated). */
extern const char kb_builtin_text[];
extern const size_t kb_builtin_len;

#endif
