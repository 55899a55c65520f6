/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_FORMATS_H
#define PS_REPORT_FORMATS_H

#include "report.h"

/* The format descriptors, one per file; report.c lists them. */
extern const struct report_format report_text;
extern const struct report_format report_jsonl;
extern const struct report_format report_xml;
extern const struct report_format report_grep;
extern const struct report_format report_csv;
extern const struct report_format report_html;

#endif
