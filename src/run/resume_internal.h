/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_RESUME_INTERNAL_H
#define PS_RUN_RESUME_INTERNAL_H

#include "core/result.h"
#include "resume.h"

/* run.c's use of run_resume (resume.h says what it does). */
void run_resume_begin(struct run_resume *r, const struct run_events *events);
void run_resume_old_result(const struct run_resume *r, size_t i, struct port_result *out);
enum ps_err run_resume_add(struct run_resume *r, const struct port_result *res);
void run_resume_progress(void *ctx, const struct scan_progress *p);
void run_resume_finish(struct run_resume *r);

#endif
