/* SPDX-License-Identifier: MIT */
#ifndef PS_PROBE_TLS_H
#define PS_PROBE_TLS_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "core/result.h"

/* A client context that accepts any certificate and any protocol version the library has. */
SSL_CTX *probe_tls_ctx_new(void);
/* After the handshake: version, cipher and the peer certificate's summary. */
void probe_tls_session_fill(SSL *ssl, int64_t now, struct service_tls *out, uint32_t *flags);
void probe_tls_cert_fill(X509 *cert, int64_t now, struct service_tls *out, uint32_t *flags);

#endif
