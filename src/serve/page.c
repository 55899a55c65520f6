/* SPDX-License-Identifier: MIT */
/*
 * The pages of portsight serve, as plain HTML: every one works without the script, which only
 * turns the consent form into a live view. Nothing on them is fetched from another origin.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "report/verdict.h"
#include "serve_internal.h"

enum ps_err serve_html_text(struct dynbuf *b, const char *s)
{
	enum ps_err err = PS_OK;

	for (; *s && !err; s++) {
		switch (*s) {
		case '<':
			err = dynbuf_add(b, "&lt;", 4);
			break;
		case '>':
			err = dynbuf_add(b, "&gt;", 4);
			break;
		case '&':
			err = dynbuf_add(b, "&amp;", 5);
			break;
		case '"':
			err = dynbuf_add(b, "&quot;", 6);
			break;
		case '\'':
			err = dynbuf_add(b, "&#39;", 5);
			break;
		default:
			err = dynbuf_add(b, s, 1);
		}
	}
	return err;
}

enum ps_err serve_page_head(struct dynbuf *b, const char *title)
{
	enum ps_err err = dynbuf_addf(
	    b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>");

	if (!err)
		err = serve_html_text(b, title);
	if (!err)
		err = dynbuf_addf(b, " - portsight serve</title>"
				     "<link rel=\"stylesheet\" href=\"/static/serve.css\">"
				     "<script src=\"/static/serve.js\" defer></script></head>\n"
				     "<body><header><a href=\"/\">portsight serve</a> &mdash; your "
				     "ports, seen from the outside</header><main>\n");
	return err;
}

enum ps_err serve_page_foot(struct dynbuf *b)
{
	return dynbuf_addf(b, "</main></body></html>\n");
}

static enum ps_err test_choice(struct dynbuf *b, const char *value, const char *label,
			       uint32_t count, uint32_t max_ports, bool checked)
{
	bool allowed = count <= max_ports;

	return dynbuf_addf(b,
			   "<label><input type=\"radio\" name=\"test\" value=\"%s\"%s%s> %s "
			   "<span class=\"small\">(%" PRIu32 " port%s%s)</span></label>\n",
			   value, checked && allowed ? " checked" : "", allowed ? "" : " disabled",
			   label, count, count == 1 ? "" : "s",
			   allowed ? "" : ", over this server's limit");
}

enum ps_err serve_page_consent(struct dynbuf *b, const struct serve_opts *o, const char *client,
			       const char *server, const char *token, const uint32_t *counts)
{
	enum ps_err err = serve_page_head(b, "Check your ports");

	if (!err)
		err = dynbuf_addf(
		    b,
		    "<h1>Check your ports from the outside</h1>\n"
		    "<p class=\"notice\">This server, <span class=\"addr\" "
		    "id=\"server\">%s</span>, "
		    "will send TCP connection probes (SYN packets, or full connections when it "
		    "runs without raw sockets) to <span class=\"addr\" id=\"client\">%s</span>: "
		    "the "
		    "address your connection comes from. It probes only the ports of the test you "
		    "choose, and <strong>nothing is sent until you press Proceed</strong>. It "
		    "cannot be pointed at any other address.</p>\n"
		    "<p>Each port ends up <span class=\"sw open\">Open</span> (something accepts "
		    "connections), <span class=\"sw closed\">Closed</span> (your side answered "
		    "that nothing listens, so your address is visible) or <span class=\"sw "
		    "stealth\">Stealth</span> (no answer at all). If you are behind a router, the "
		    "router is what gets probed.</p>\n"
		    "<p id=\"truestealth-consent\">The TruStealth test probes the common ports and "
		    "also sends, to that same address only: up to 10 SSDP M-SEARCH datagrams to UDP "
		    "port 1900 (is UPnP exposed?), up to 3 NetBIOS node status requests to UDP port "
		    "137 (file sharing, with TCP 139 and 445) and ICMP echo requests (ping). It passes "
		    "only if nothing answers anything.</p>\n"
		    "<form method=\"post\" action=\"/scan\" id=\"consent\">\n"
		    "<input type=\"hidden\" name=\"token\" value=\"%s\">\n"
		    "<fieldset><legend>Test</legend>\n",
		    server, client, token);
	if (!err)
		err = test_choice(b, "common", "Common ports", counts[SERVE_TEST_COMMON],
				  o->max_ports, true);
	if (!err)
		err = test_choice(b, "service", "All service ports (1-1055)",
				  counts[SERVE_TEST_SERVICE], o->max_ports, false);
	if (!err)
		err = test_choice(b, "all", "All 65535 ports", counts[SERVE_TEST_ALL], o->max_ports,
				  false);
	if (!err)
		err = test_choice(b, "trojans", "Trojan and backdoor ports",
				  counts[SERVE_TEST_TROJANS], o->max_ports, false);
	if (!err)
		err = test_choice(b, "shieldsup",
				  "TruStealth: the common ports, UPnP, file sharing and ping",
				  counts[SERVE_TEST_SHIELDSUP], o->max_ports, false);
	if (!err)
		err = dynbuf_addf(b,
				  "<label><input type=\"radio\" name=\"test\" value=\"port\"> "
				  "One port: <input name=\"port\" size=\"6\" inputmode=\"numeric\" "
				  "pattern=\"[0-9]{1,5}\" aria-label=\"port number\"></label>\n"
				  "</fieldset>\n<button type=\"submit\">Proceed</button>\n</form>\n"
				  "<div id=\"live\" hidden></div>\n"
				  "<h2>Port Authority</h2><form method=\"get\" action=\"/port\">"
				  "What is a port for? <input name=\"port\" size=\"6\" "
				  "inputmode=\"numeric\" aria-label=\"port to explain\"> "
				  "<button type=\"submit\">Explain</button></form>\n");
	if (!err)
		err = serve_page_foot(b);
	return err;
}

static const char *range_span(enum kb_range range)
{
	switch (range) {
	case KB_RANGE_SYSTEM:
		return "1-1023";
	case KB_RANGE_REGISTERED:
		return "1024-49151";
	default:
		return "49152-65535";
	}
}

/* One port's knowledge-base entries as a definition list (both protocols). */
static enum ps_err port_explanation(struct dynbuf *b, const struct kb *kb, uint16_t port)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP};
	enum kb_range range = kb_port_range(port);
	enum ps_err err = PS_OK;
	size_t i, j, found = 0;

	for (i = 0; i < 2 && !err; i++) {
		const struct kb_entry *e = kb_lookup(kb, port, protos[i]);

		if (!e)
			continue;
		found++;
		err = dynbuf_addf(b, "<h3>%u/%s: ", port, i ? "udp" : "tcp");
		if (!err)
			err = serve_html_text(b, e->service);
		if (!err)
			err = dynbuf_addf(b, "</h3><dl><dt>What</dt><dd>");
		if (!err)
			err = serve_html_text(b, e->description);
		if (!err && e->risk) {
			err = dynbuf_addf(b, "</dd><dt>Risk</dt><dd>");
			if (!err)
				err = serve_html_text(b, e->risk);
		}
		if (!err && e->ntrojans) {
			err = dynbuf_addf(b, "</dd><dt>Trojans</dt><dd>");
			for (j = 0; j < e->ntrojans && !err; j++) {
				if (j)
					err = dynbuf_add(b, ", ", 2);
				if (!err)
					err = serve_html_text(b, e->trojans[j]);
			}
		}
		if (!err)
			err = dynbuf_addf(b, "</dd></dl>\n");
	}
	if (!err && !found)
		err = dynbuf_addf(b, "<p>Port %u has no entry in the knowledge base.</p>\n", port);
	if (!err)
		err = dynbuf_addf(b, "<p class=\"small\">%s port (%s)</p>\n", kb_range_name(range),
				  range_span(range));
	return err;
}

enum ps_err serve_page_port(struct dynbuf *b, const struct kb *kb, uint16_t port)
{
	char title[32];
	enum ps_err err;

	snprintf(title, sizeof(title), "Port %u", port);
	err = serve_page_head(b, title);
	if (!err)
		err = dynbuf_addf(b, "<h1>Port Authority: port %u</h1>\n", port);
	if (!err)
		err = port_explanation(b, kb, port);
	if (!err)
		err = dynbuf_addf(b, "<p><a href=\"/\">Test your own ports</a></p>\n");
	if (!err)
		err = serve_page_foot(b);
	return err;
}

enum ps_err serve_page_error(struct dynbuf *b, unsigned status, const char *msg)
{
	enum ps_err err = serve_page_head(b, "Refused");

	if (!err)
		err = dynbuf_addf(b, "<h1>%u</h1><p id=\"error\">", status);
	if (!err)
		err = serve_html_text(b, msg);
	if (!err)
		err = dynbuf_addf(b, "</p><p><a href=\"/\">Back</a></p>\n");
	if (!err)
		err = serve_page_foot(b);
	return err;
}

static const char *const cell_state[] = {"pending", "open", "closed", "stealth"};
static const char *const cell_word[] = {"&hellip;", "Open", "Closed", "Stealth"};

static enum ps_err grid(struct dynbuf *b, const struct serve_scan *s)
{
	uint32_t p = 0;
	enum ps_err err = dynbuf_addf(b, "<ol class=\"grid\" id=\"grid\">\n");

	while (!err && (p = portset_next(&s->ports, p)) != 0) {
		uint8_t c = s->state[p];

		err = dynbuf_addf(b,
				  "<li data-port=\"%" PRIu32 "\" data-state=\"%s\" title=\"%" PRIu32
				  " %s\"><span class=\"n\">%" PRIu32 "</span><span class=\"l\">%s"
				  "</span></li>\n",
				  p, cell_state[c], p, cell_state[c], p, cell_word[c]);
	}
	if (!err)
		err = dynbuf_addf(b, "</ol>\n");
	return err;
}

/* For a test too large for a grid: the ports that are not stealth. */
static enum ps_err answered_list(struct dynbuf *b, const struct serve_scan *s)
{
	uint32_t p = 0, shown = 0;
	enum ps_err err = dynbuf_addf(b, "<p>Ports that answered:</p><ol class=\"grid\" "
					 "id=\"grid\">\n");

	while (!err && (p = portset_next(&s->ports, p)) != 0 && shown < 2000) {
		uint8_t c = s->state[p];

		if (c != CELL_OPEN && c != CELL_CLOSED)
			continue;
		shown++;
		err =
		    dynbuf_addf(b,
				"<li data-port=\"%" PRIu32 "\" data-state=\"%s\"><span "
				"class=\"n\">%" PRIu32 "</span><span class=\"l\">%s</span></li>\n",
				p, cell_state[c], p, cell_word[c]);
	}
	if (!err)
		err = dynbuf_addf(b, "</ol>\n");
	return err;
}

static enum ps_err open_ports(struct dynbuf *b, const struct kb *kb, const struct serve_scan *s)
{
	uint32_t p = 0;
	size_t j;
	enum ps_err err = dynbuf_addf(b, "<h2>Open ports</h2><table id=\"open\"><tr><th>Port</th>"
					 "<th>Service</th><th>Risk</th><th>Trojans known to use "
					 "it</th></tr>\n");

	while (!err && (p = portset_next(&s->ports, p)) != 0) {
		const struct kb_entry *e;

		if (s->state[p] != CELL_OPEN)
			continue;
		e = kb_lookup(kb, (uint16_t)p, IPPROTO_TCP);
		err = dynbuf_addf(
		    b, "<tr><td><a href=\"/port/%" PRIu32 "\">%" PRIu32 "</a></td><td>", p, p);
		if (!err)
			err = serve_html_text(b, e ? e->service : "unknown");
		if (!err)
			err = dynbuf_addf(b, "</td><td>");
		if (!err)
			err = serve_html_text(b, e && e->risk ? e->risk : "-");
		if (!err)
			err = dynbuf_addf(b, "</td><td>");
		for (j = 0; e && j < e->ntrojans && !err; j++) {
			if (j)
				err = dynbuf_add(b, ", ", 2);
			if (!err)
				err = serve_html_text(b, e->trojans[j]);
		}
		if (!err)
			err = dynbuf_addf(b, "</td></tr>\n");
	}
	if (!err)
		err = dynbuf_addf(b, "</table>\n");
	return err;
}

static const char *advice(enum verdict_kind kind)
{
	switch (kind) {
	case VERDICT_EXPOSED:
		return "Anyone on the Internet can connect to the open ports above. Stop the "
		       "services you do not need, bind the others to localhost or a private "
		       "address, or have your router's or host's firewall drop these ports. "
		       "Each port's page says what it is for and what exposing it risks.";
	case VERDICT_CLOSED:
		return "Nothing accepts connections, but your address answers probes, so it is "
		       "visible as a live host. To be stealth, have your firewall drop "
		       "unsolicited packets instead of rejecting them.";
	default:
		return "No port answered: your address does not reveal itself to these probes. "
		       "Keep it that way: forward no ports you do not need.";
	}
}

static const char *stealth_class(enum shieldsup_stealth st)
{
	return st == SHIELDSUP_STEALTH_PASSED ? "stealth"
	       : st == SHIELDSUP_STEALTH_FAILED ? "exposed"
						: "closed";
}

static const char *answer_attr(enum shieldsup_answer a)
{
	static const char *const names[] = {"not-tested", "silent", "answered", "refused"};

	return (unsigned)a < 4 ? names[a] : "not-tested";
}

static enum ps_err tcp_state_text(struct dynbuf *b, const struct serve_scan *s, uint16_t port)
{
	static const char *const words[] = {"not tested", "open", "closed", "stealth"};

	return dynbuf_addf(b, "%u/tcp %s", port, words[s->state[port] & 3]);
}

/* UPnP, file sharing and ping, and the TruStealth verdict over everything. */
static enum ps_err truestealth(struct dynbuf *b, const struct serve_scan *s)
{
	const struct shieldsup_result *r = s->ss;
	const struct shieldsup_verdict *v = &s->ssv;
	enum ps_err err;
	size_t i;

	err = dynbuf_addf(b,
			  "<section id=\"truestealth\" data-stealth=\"%s\"><h2>TruStealth</h2>\n"
			  "<p class=\"verdict %s\" id=\"ts-verdict\">",
			  shieldsup_stealth_name(v->stealth), stealth_class(v->stealth));
	if (!err)
		err = serve_html_text(b, v->text);
	if (!err)
		err = dynbuf_addf(b,
				  "</p>\n<h3>UPnP exposure (SSDP, UDP 1900)</h3>\n"
				  "<p id=\"upnp\" data-answer=\"%s\">%s: %u M-SEARCH sent",
				  answer_attr(r->upnp.answer), shieldsup_answer_name(r->upnp.answer),
				  r->upnp.sent);
	if (!err && r->upnp.answer == SHIELDSUP_ANSWERED)
		err = dynbuf_addf(b, ", a reply of %zu bytes after %" PRIu32 " ms from port %u",
				  r->upnp.reply_len, r->upnp.reply_ms, r->upnp.reply_port);
	if (!err && r->upnp.note[0]) {
		err = dynbuf_add(b, " (", 2);
		if (!err)
			err = serve_html_text(b, r->upnp.note);
		if (!err)
			err = dynbuf_add(b, ")", 1);
	}
	if (!err)
		err = dynbuf_addf(b, "</p>\n");
	if (!err && r->upnp.answer == SHIELDSUP_ANSWERED) {
		/* What the visitor's device says about itself, as ShieldsUP shows it. */
		err = dynbuf_addf(b, "<p>Anyone can find your UPnP device; it replied:</p>"
				     "<pre id=\"upnp-reply\">");
		if (!err)
			err = serve_html_text(b, r->upnp.status);
		for (i = 0; !err && i < r->upnp.nheaders; i++) {
			err = dynbuf_add(b, "\n", 1);
			if (!err)
				err = serve_html_text(b, r->upnp.headers[i]);
		}
		if (!err && r->upnp.headers_cut)
			err = dynbuf_addf(b, "\n(%zu more lines)", r->upnp.headers_cut);
		if (!err)
			err = dynbuf_addf(b, "</pre>\n");
	}
	if (!err)
		err = dynbuf_addf(b,
				  "<h3>File sharing</h3>\n<p id=\"file-sharing\" data-exposed=\"%s\" "
				  "data-answer=\"%s\">NetBIOS node status (UDP 137): %s",
				  v->file_sharing ? "yes" : "no", answer_attr(r->netbios.answer),
				  shieldsup_answer_name(r->netbios.answer));
	if (!err && r->netbios.names[0]) {
		err = dynbuf_addf(b, ", names <span id=\"netbios-names\">");
		if (!err)
			err = serve_html_text(b, r->netbios.names);
		if (!err)
			err = dynbuf_addf(b, "</span>");
	}
	if (!err)
		err = dynbuf_add(b, "; ", 2);
	if (!err)
		err = tcp_state_text(b, s, 139);
	if (!err)
		err = dynbuf_add(b, ", ", 2);
	if (!err)
		err = tcp_state_text(b, s, 445);
	if (!err)
		err = dynbuf_addf(b, "</p>\n<h3>Ping (ICMP echo)</h3>\n<p id=\"ping\" "
				     "data-answer=\"%s\">",
				  answer_attr(r->ping.answer));
	if (!err)
		err = serve_html_text(b, v->ping);
	if (!err)
		err = dynbuf_addf(b, "</p>\n<p class=\"small\">Answered: ");
	if (!err)
		err = serve_html_text(b, v->solicited[0] ? v->solicited : "nothing");
	if (!err && r->ports_note[0]) {
		err = dynbuf_add(b, ". ", 2);
		if (!err)
			err = serve_html_text(b, r->ports_note);
	}
	if (!err)
		err = dynbuf_addf(b, ".</p>\n</section>\n");
	return err;
}

enum ps_err serve_page_result(struct dynbuf *b, const struct kb *kb, const struct serve_scan *s)
{
	struct verdict v;
	enum ps_err err;

	verdict_of(s->nopen, s->nclosed, s->nstealth, &v);
	err = dynbuf_addf(b,
			  "<section id=\"result\" data-verdict=\"%s\" data-open=\"%" PRIu32
			  "\" data-closed=\"%" PRIu32 "\" data-stealth=\"%" PRIu32 "\">\n"
			  "<h1>Results for <span class=\"addr\" id=\"client\">%s</span></h1>\n"
			  "<p class=\"verdict %s\" id=\"verdict\">%s</p>\n",
			  verdict_kind_name(v.kind), s->nopen, s->nclosed, s->nstealth,
			  s->client_text, verdict_kind_name(v.kind), v.text);
	if (!err && (s->sum.interrupted || s->error[0]))
		err = dynbuf_addf(b,
				  "<p class=\"notice\">This scan did not finish (%s): the "
				  "result is partial.</p>\n",
				  s->error[0] ? "it failed" : "it was stopped");
	if (!err)
		err = dynbuf_addf(
		    b,
		    "<p>Test: %s, %" PRIu32 " port%s probed from %s with the %s "
		    "engine in %.1f s: <span class=\"sw open\">%" PRIu32
		    " Open</span> <span class=\"sw closed\">%" PRIu32
		    " Closed</span> <span class=\"sw stealth\">%" PRIu32 " Stealth</span></p>\n",
		    serve_test_name(s->test), s->nports, s->nports == 1 ? "" : "s", s->server_text,
		    s->engine, s->sum.elapsed_s, s->nopen, s->nclosed, s->nstealth);
	if (!err && s->ss)
		err = truestealth(b, s);
	if (!err)
		err = s->nports <= SERVE_GRID_MAX ? grid(b, s) : answered_list(b, s);
	if (!err && s->nopen)
		err = open_ports(b, kb, s);
	if (!err)
		err = dynbuf_addf(b, "<h2>Advice</h2><p id=\"advice\">%s</p>\n", advice(v.kind));
	if (!err && s->test == SERVE_TEST_PORT) {
		err = dynbuf_addf(b, "<h2>About port %u</h2>\n", s->port);
		if (!err)
			err = port_explanation(b, kb, s->port);
	}
	if (!err)
		err = dynbuf_addf(
		    b,
		    "<p>Download: <a href=\"/scan/%s/report.html\" download>HTML "
		    "report</a> &middot; <a href=\"/scan/%s/report.jsonl\" "
		    "download>JSON Lines</a> &middot; <a href=\"/\">another test</a></p>"
		    "\n</section>\n",
		    s->id, s->id);
	return err;
}

enum ps_err serve_page_stream_intro(struct dynbuf *b, const struct serve_scan *s)
{
	return dynbuf_addf(b,
			   "<p>Probing <span class=\"addr\">%s</span> from %s: %s test, %" PRIu32
			   " port%s. This page completes itself when the scan ends; leaving it "
			   "stops the scan.</p>\n",
			   s->client_text, s->server_text, serve_test_name(s->test), s->nports,
			   s->nports == 1 ? "" : "s");
}
