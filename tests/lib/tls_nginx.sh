#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A test CA and an nginx that serves DIR/www over https with it, for the
# varnishtest tests of downloads and sys_fetch over https.
#   tls_nginx.sh setup DIR   makes, in DIR:
#     ca.pem          the test CA (trusted through remote_settings(ca_file))
#     port            https with a certificate for 127.0.0.1 signed by the CA
#     wrong_port      https with a certificate for "wrong.invalid" by the CA
#     http_port       plain http
#     www/            what is served; access.log: "URI STATUS" per request
#     nginx.conf      for: nginx -p DIR -c DIR/nginx.conf (runs in front)
#   tls_nginx.sh wait DIR    returns once nginx answers (at most 10 s)
set -eu
cmd=$1 dir=$2
if [ "$cmd" = wait ]; then
	for i in $(seq 100); do
		curl -s --cacert "$dir/ca.pem" -o /dev/null \
		    "https://127.0.0.1:$(cat "$dir/port")/" && exit 0
		sleep 0.1
	done
	echo "nginx did not start: $(cat "$dir/nginx.err")" >&2
	exit 1
fi
mkdir -p "$dir/www"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tkvm-test-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
for name in good wrong; do
	if [ $name = good ]; then cn=127.0.0.1 san=IP:127.0.0.1,DNS:localhost
	else cn=wrong.invalid san=DNS:wrong.invalid; fi
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout $name.key \
	    -out $name.csr 2>/dev/null
	printf 'subjectAltName=%s\n' "$san" > $name.ext
	openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile $name.ext -out $name.pem 2>/dev/null
done
python3 -c '
import socket
socks = [socket.socket() for i in range(3)]
for s, f in zip(socks, ("port", "wrong_port", "http_port")):
    s.bind(("127.0.0.1", 0))
    open(f, "w").write(str(s.getsockname()[1]))
'
cat > nginx.conf <<CONF
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events {}
http {
	log_format short '\$request_uri \$status';
	access_log $dir/access.log short;
	client_body_temp_path $dir;
	proxy_temp_path $dir;
	fastcgi_temp_path $dir;
	uwsgi_temp_path $dir;
	scgi_temp_path $dir;
	root $dir/www;
	server {
		listen 127.0.0.1:$(cat port) ssl;
		ssl_certificate $dir/good.pem;
		ssl_certificate_key $dir/good.key;
	}
	server {
		listen 127.0.0.1:$(cat wrong_port) ssl;
		ssl_certificate $dir/wrong.pem;
		ssl_certificate_key $dir/wrong.key;
	}
	server {
		listen 127.0.0.1:$(cat http_port);
	}
}
CONF
echo ok > www/index.html
