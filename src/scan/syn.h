/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_SYN_H
#define PS_SCAN_SYN_H

/* The SYN engine's cookie now lives with its probe module. */
#include "module.h"

#endif
