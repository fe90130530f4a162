# SPDX-License-Identifier: BSD-2-Clause
# Sourced by bench/load.sh and bench/scaling.sh: the nginx that serves the
# same "Hello World" as the benchmark guest, for the pass-to-nginx runs.
#   start_nginx DIR PORT   serves DIR/index.html on 127.0.0.1:PORT, with
#                          its pid in DIR/nginx.pid (DIR readable by the
#                          workers, which run as www-data)
start_nginx() {
	printf 'Hello World' > "$1/index.html"
	cat > "$1/nginx.conf" <<NGINX
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$2;
		root $1;
		location / { default_type text/plain; try_files /index.html =404; }
	}
}
NGINX
	nginx -c "$1/nginx.conf" -p "$1"
}
