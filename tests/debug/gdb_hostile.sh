# SPDX-License-Identifier: BSD-2-Clause
# A hostile or broken gdb client (a Python script speaking raw packets)
# against tinykvm-run --gdb: bad checksums are refused with '-', an
# oversized packet, malformed commands, memory reads and writes at wild
# addresses or with huge lengths get error replies (a huge read a short
# one), the target description is served in pieces; a client that
# disconnects mid-session or goes silent ends the run, which exits.
. "$(dirname "$0")/../lib/common.sh"
T=60
gcc -static -g -O0 -I "$ROOT/engine/include" -o "$WORK/dt" \
	"$GUESTS/debug_target.c" || die "cannot compile debug_target.c"

cat >"$WORK/client.py" <<'PY'
import socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
for _ in range(300):
    try:
        s.connect(path); break
    except OSError:
        time.sleep(0.1)
s.settimeout(20)
buf = b""
def raw(data): s.sendall(data)
def cks(p): return b"%02x" % (sum(p) & 0xff)
def getc():
    global buf
    while not buf:
        buf += s.recv(65536)
    c, buf = buf[:1], buf[1:]
    return c
def reply():
    while getc() != b"$": pass
    out = b""
    while True:
        c = getc()
        if c == b"#": break
        out += c
    sent = getc() + getc()
    assert sent == cks(out), "bad checksum from the stub"
    return out
def ask(p, ack=True):
    raw(b"$" + p + b"#" + cks(p))
    if ack:
        a = getc()
        assert a == b"+", "no ack for %r: %r" % (p[:40], a)
    return reply()
def check(p, want, exact=True):
    r = ask(p)
    ok = r == want if exact else r.startswith(want)
    if not ok:
        print("FAILED: %r -> %r, expected %r" % (p[:60], r[:80], want)); sys.exit(1)
    return r
if mode == "silent":
    time.sleep(30); sys.exit(0)
raw(b"noise before any packet\x03")
raw(b"$g#00")
c = getc()
assert c == b"-", "bad checksum not refused: %r" % c
check(b"qSupported:multiprocess+;swbreak+", b"PacketSize=1000;", exact=False)
big = b"m" + b"4" * 6000
check(big, b"E01")                       # oversized
check(b"?", b"T05thread:1;")
check(b"m0,10", b"E0e")                  # system area / page 0
check(b"m1000,8", b"E0e")
check(b"mffffffffffffff00,100", b"E0e")  # beyond guest memory
check(b"m400000,ffffffffffffffff", b"7f454c46", exact=False)
r = ask(b"m400000,ffffffffffffffff")
assert 0 < len(r) <= 2 * 4096, "huge read gave %d hex digits" % len(r)
check(b"m12345678901234567890,1", b"E16")  # more than 64 bits
check(b"mzz", b"E16")
check(b"m400000", b"E16")
check(b"M0,4:00000000", b"E0e")
check(b"Mfffffffffffffffe,4:00000000", b"E0e")
check(b"M400000,4:0000", b"E16")         # length and data disagree
check(b"M400000,2:zzzz", b"E16")
check(b"p1000", b"E16")
check(b"P0=12", b"E16")
check(b"Z0,0,1", b"E0e")
check(b"Z0,ffffffffffffffff,1", b"E0e")
check(b"Z1,401000,1", b"")              # no hardware breakpoints
check(b"vCont?", b"")
check(b"qXfer:features:read:other.xml:0,10", b"E00")
x = b""
off = 0
while True:
    r = ask(b"qXfer:features:read:target.xml:%x,100" % off)
    assert r[:1] in (b"m", b"l"), r[:20]
    x += r[1:]; off += len(r) - 1
    if r[:1] == b"l": break
assert b"<architecture>i386:x86-64</architecture>" in x
assert b"org.gnu.gdb.i386.core" in x and x.endswith(b"</target>\n")
check(b"QStartNoAckMode", b"OK")
raw(b"$qC#" + cks(b"qC"))
assert reply() == b"QC1"
if mode == "disconnect":
    s.close()
print("client done")
PY

echo "== bad packets get errors; the client leaves mid-session"
timeout "$T" "$RUN" --gdb="$WORK/h.sock" "$WORK/dt" >"$WORK/out" 2>"$WORK/err" &
runner=$!
timeout "$T" python3 "$WORK/client.py" "$WORK/h.sock" disconnect ||
	die "client failed"
set +e; wait $runner; rc=$?; set -e
[ "$rc" -eq 125 ] || die "runner exit status $rc, expected 125: $(cat "$WORK/err")"
grep -q '^tinykvm-run: the debugger disconnected$' "$WORK/err" ||
	die "stderr: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || die "the program ran on: $(cat "$WORK/out")"
[ ! -e "$WORK/h.sock" ] || die "the socket was left behind"

echo "== a client that says nothing is dropped after --gdb-wait"
# 10 s: the client (python3) must connect within the wait first, which
# takes seconds where everything runs emulated (the hardware-KVM rig).
timeout "$T" "$RUN" --gdb="$WORK/s.sock" --gdb-wait 10 "$WORK/dt" \
	>"$WORK/out" 2>"$WORK/err" &
runner=$!
timeout "$T" python3 "$WORK/client.py" "$WORK/s.sock" silent &
client=$!
set +e; wait $runner; rc=$?; set -e
kill $client 2>/dev/null || true
wait $client 2>/dev/null || true
[ "$rc" -eq 125 ] || die "runner exit status $rc, expected 125"
grep -q 'the debugger sent nothing for 10 s' "$WORK/err" ||
	die "stderr: $(cat "$WORK/err")"

echo "== a bad address is refused before the program runs"
run_guest --gdb=host.invalid.:x "$WORK/dt"
expect_rc 125
expect_err_has "bad gdb port 'x'"
run_guest --gdb=70000 "$WORK/dt"
expect_rc 125
expect_err_has "bad gdb port '70000'"
run_guest --gdb="$WORK/no/such/dir/g.sock" "$WORK/dt"
expect_rc 125
expect_err_has "cannot listen for gdb on $WORK/no/such/dir/g.sock"
echo ok
