/* SPDX-License-Identifier: MIT */
/* The few facts an HTTP response gives away: status, Server header, page title. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "probe_internal.h"

/* Case-insensitive memmem for short ASCII needles. */
static const char *find_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n > len)
		return NULL;
	for (i = 0; i + n <= len; i++)
		if (!strncasecmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* Turns runs of spaces in s (len bytes) into one, trims both ends, terminates; new length. */
static size_t collapse_spaces(char *s, size_t len)
{
	size_t i, n = 0;
	bool space = false;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ') {
			space = n > 0;
			continue;
		}
		if (space)
			s[n++] = ' ';
		space = false;
		s[n++] = s[i];
	}
	s[n] = '\0';
	return n;
}

/* Copies text with white space collapsed as above; only printable ASCII stays (core/textclean
 * TEXT_ASCII). Collapsed before cleaning so leading blanks take no room, and after, for the
 * blanks a dropped byte left side by side. */
static void copy_collapsed(char *dst, size_t size, const char *src, size_t len)
{
	char spaced[1024];
	size_t i;

	if (!size)
		return;
	len = len < sizeof(spaced) - 1 ? len : sizeof(spaced) - 1;
	/* cppcheck-suppress knownConditionTrueFalse ; len is the caller's, not always 0 */
	for (i = 0; i < len; i++)
		spaced[i] = (char)(src[i] == '\t' || src[i] == '\r' || src[i] == '\n' ? ' ' : src[i]);
	len = collapse_spaces(spaced, len);
	collapse_spaces(dst, text_clean_mem(dst, size, spaced, len, TEXT_ASCII));
}

static void parse_title(const char *body, size_t len, struct service_http *out)
{
	const char *open = find_ci(body, len, "<title"), *start, *end;

	if (!open)
		return;
	start = memchr(open, '>', len - (size_t)(open - body));
	if (!start)
		return;
	start++;
	end = find_ci(start, len - (size_t)(start - body), "</title");
	copy_collapsed(out->title, sizeof(out->title), start,
		       end ? (size_t)(end - start) : len - (size_t)(start - body));
}

enum ps_err probe_http_parse(const void *reply, size_t len, struct service_http *out)
{
	const char *s = reply, *p, *eol, *head_end;
	size_t head_len;

	memset(out, 0, sizeof(*out));
	/* "HTTP/1.1 200" is the shortest status line that says anything. */
	if (len < 12 || memcmp(s, "HTTP/", 5) || !isdigit((unsigned char)s[5]) || s[6] != '.' ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ')
		return PS_ERR_INVALID;
	if (!isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]))
		return PS_ERR_INVALID;
	out->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
	head_end = find_ci(s, len, "\r\n\r\n");
	if (!head_end)
		head_end = find_ci(s, len, "\n\n");
	head_len = head_end ? (size_t)(head_end - s) : len;
	for (p = s; p < s + head_len; p = eol + 1) {
		size_t line_len;

		eol = memchr(p, '\n', head_len - (size_t)(p - s));
		if (!eol)
			eol = s + head_len;
		line_len = (size_t)(eol - p);
		if (line_len > 7 && !strncasecmp(p, "server:", 7))
			copy_collapsed(out->server, sizeof(out->server), p + 7, line_len - 7);
		if (eol >= s + head_len)
			break;
	}
	if (head_end)
		parse_title(head_end, len - (size_t)(head_end - s), out);
	return PS_OK;
}
