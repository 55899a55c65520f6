# The service-identification lab (sourced after lab.sh and lab_init): the servers of
# service_lab.py on the target, each port's kind being the ground truth.
SERVICE_LAB_SPECS="ftp:21 ssh:22 smtp:25 http-apache:80 pop3:110 imap:143 https-nginx:443
imaps:993 ssh-dropbear:2222 mysql:3306 vnc:5900 redis:6379 https-nginx-plain:8080
memcached:11211 netbus:12345 ssh-alt:49152 http-python:65535
subseven:7781 silent:27374 ssh:31337 silent:54320
silent:7777 endless:7778 garbage:7779 labecho:7780"
SERVICE_LAB_PORTS=$(for s in $SERVICE_LAB_SPECS; do printf '%s,' "${s#*:}"; done)
SERVICE_LAB_PORTS=${SERVICE_LAB_PORTS%,}

# service_lab_start WORKDIR: a self-signed certificate made now, then the servers.
service_lab_start() {
	local work=$1 spec end
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
		-subj /CN=lab.example -addext "subjectAltName=DNS:lab.example,IP:192.0.2.2" \
		-days 30 2>/dev/null || return 1
	end=$(openssl x509 -in "$work/cert.pem" -noout -enddate | cut -d= -f2)
	SERVICE_LAB_NOT_AFTER=$(date -u -d "$end" +%Y-%m-%dT%H:%M:%SZ)
	lab_spawn "$LAB_T" python3 "$LAB_DIR/service_lab.py" "$work/cert.pem" "$work/key.pem" \
		$SERVICE_LAB_SPECS >/dev/null
	for spec in $SERVICE_LAB_SPECS; do
		lab_wait_port "$LAB_T" 127.0.0.1 "${spec#*:}" || return 1
	done
}
