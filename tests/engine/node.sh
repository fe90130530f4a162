# SPDX-License-Identifier: BSD-2-Clause
# Node.js (the system's /usr/bin/node, dynamically linked: ld.so, libc,
# libstdc++, OpenSSL, ICU) under tinykvm-run: its standard library
# (crypto, zlib, JSON, Buffer, URL, fs), the event loop's order and
# timers, and a worker thread (guest threads: V8's platform threads and
# libuv's pool wait on futexes and epoll while the main thread's timed
# epoll_wait runs to its deadline) give the native run's exact output.
# A file outside the allowed paths is EACCES to it; above --memory the
# run stops with the reason.
. "$(dirname "$0")/../lib/common.sh"

NODE=/usr/bin/node
[ -x "$NODE" ] || die "node is missing (scripts/install-deps.sh installs nodejs)"
mkdir -p "$WORK/app" "$WORK/secret"
cp "$GUESTS/node_std.js" "$WORK/app/"
echo "some data" > "$WORK/app/data.txt"
echo "not for the guest" > "$WORK/secret/key"
native=$(cd "$WORK" && "$NODE" app/node_std.js) || die "node failed natively"
# Node reads OpenSSL's configuration at start-up.
A=(--memory 1024 --allow "$WORK/app" --allow /etc/ssl)
run_guest "${A[@]}" "$NODE" "$WORK/app/node_std.js"
expect_rc 0
expect_out "$native"
expect_out_has "worker sum 500500"
expect_out_has "order tick, promise, immediate, timeout 20, timeout 60"

# Outside the allowed paths; the directories on the way (stat) are not.
cat > "$WORK/app/outside.js" <<JS
const fs = require('fs');
try { fs.readFileSync('$WORK/secret/key'); console.log('read it'); }
catch (e) { console.log('secret:', e.code); }
console.log('parent is a directory:', fs.statSync('$WORK').isDirectory());
JS
run_guest "${A[@]}" "$NODE" "$WORK/app/outside.js"
expect_rc 0
expect_out "secret: EACCES
parent is a directory: true"

# The default --memory (64 MiB) is less than Node.js holds at start-up.
run_guest --allow "$WORK/app" --allow /etc/ssl "$NODE" "$WORK/app/node_std.js"
expect_rc 125
expect_err_has "tinykvm-run: guest uses "
expect_err_has " KiB of memory, more than its memory limit (65536 KiB)"
echo ok
