/* SPDX-License-Identifier: MIT */
/* TLS: spotting a TLS record in a reply, and summarising the certificate a server showed. */
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe_internal.h"
#include "tls.h"

bool probe_tls_sniff(const void *reply, size_t len, uint16_t *version)
{
	const unsigned char *b = reply;
	unsigned rec_len;

	/* A record header (RFC 8446 5.1): type, legacy version 3.x, length up to 2^14 + 2048. */
	if (len < 5 || (b[0] != 0x15 && b[0] != 0x16) || b[1] != 3 || b[2] > 4)
		return false;
	rec_len = (unsigned)b[3] << 8 | b[4];
	if (!rec_len || rec_len > 18432)
		return false;
	if (version)
		*version = (uint16_t)(b[1] << 8 | b[2]);
	return true;
}

static void name_entry(const X509_NAME *name, int nid, char *dst, size_t size)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	const ASN1_STRING *s;

	dst[0] = '\0';
	if (idx < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	if (s)
		text_clean_mem(dst, size, ASN1_STRING_get0_data(s),
				     (size_t)ASN1_STRING_length(s), TEXT_ASCII);
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void append_san(char *dst, size_t size, const char *text)
{
	size_t used = strlen(dst);

	if (used && used + 2 < size)
		strcat(dst, ",");
	used = strlen(dst);
	text_clean_mem(dst + used, size - used, text, strlen(text), TEXT_ASCII);
}

static void sans(X509 *cert, char *dst, size_t size)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int i;

	dst[0] = '\0';
	if (!names)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char text[INET6_ADDRSTRLEN + 1];
		const ASN1_STRING *s;
		int len;

		if (gn->type == GEN_DNS) {
			s = gn->d.dNSName;
			len = ASN1_STRING_length(s);
			if (len <= 0 || (size_t)len >= sizeof(text) - 1)
				continue;
			memcpy(text, ASN1_STRING_get0_data(s), (size_t)len);
			text[len] = '\0';
		} else if (gn->type == GEN_IPADD) {
			s = gn->d.iPAddress;
			len = ASN1_STRING_length(s);
			if (!((len == 4 &&
			       inet_ntop(AF_INET, ASN1_STRING_get0_data(s), text, sizeof(text))) ||
			      (len == 16 &&
			       inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), text, sizeof(text)))))
				continue;
		} else {
			continue;
		}
		append_san(dst, size, text);
	}
	GENERAL_NAMES_free(names);
}

void probe_tls_cert_fill(X509 *cert, int64_t now, struct service_tls *out, uint32_t *flags)
{
	const X509_NAME *issuer = X509_get_issuer_name(cert);

	name_entry(X509_get_subject_name(cert), NID_commonName, out->subject_cn,
		   sizeof(out->subject_cn));
	name_entry(issuer, NID_commonName, out->issuer, sizeof(out->issuer));
	if (!out->issuer[0] && issuer) {
		char line[256];

		if (X509_NAME_oneline(issuer, line, sizeof(line)))
			text_clean_mem(out->issuer, sizeof(out->issuer), line, strlen(line), TEXT_ASCII);
	}
	sans(cert, out->sans, sizeof(out->sans));
	out->not_before = asn1_time(X509_get0_notBefore(cert));
	out->not_after = asn1_time(X509_get0_notAfter(cert));
	if (X509_check_issued(cert, cert) == X509_V_OK)
		*flags |= SERVICE_FLAG_SELF_SIGNED;
	if ((out->not_after && now > out->not_after) || (out->not_before && now < out->not_before))
		*flags |= SERVICE_FLAG_EXPIRED;
}

enum ps_err probe_tls_cert_summary(const void *der, size_t len, int64_t now,
				   struct service_tls *out, uint32_t *flags)
{
	const unsigned char *p = der;
	X509 *cert;

	if (len > 1 << 20)
		return PS_ERR_TOO_LARGE;
	cert = d2i_X509(NULL, &p, (long)len);
	if (!cert) {
		/* Hostile bytes leave errors queued; SSL_get_error would read them later. */
		ERR_clear_error();
		return PS_ERR_INVALID;
	}
	probe_tls_cert_fill(cert, now, out, flags);
	X509_free(cert);
	ERR_clear_error();
	return PS_OK;
}

void probe_preload(void)
{
	SSL_CTX_free(probe_tls_ctx_new());
	tzset(); /* certificate times go through localtime: /etc/localtime read once, now */
}

SSL_CTX *probe_tls_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	/*
	 * We look, we do not trust: no verification, and every protocol version and cipher the
	 * library still has, because old servers are exactly the ones worth reporting.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

void probe_tls_session_fill(SSL *ssl, int64_t now, struct service_tls *out, uint32_t *flags)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	X509 *cert = SSL_get1_peer_certificate(ssl);

	snprintf(out->version, sizeof(out->version), "%s", SSL_get_version(ssl));
	if (cipher)
		snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_CIPHER_get_name(cipher));
	*flags |= SERVICE_FLAG_TLS;
	if (cert) {
		probe_tls_cert_fill(cert, now, out, flags);
		X509_free(cert);
	}
}
