# SPDX-License-Identifier: BSD-2-Clause
# Files: an allowed file (exact and by directory prefix) is read, stat'ed,
# pread and mmap'ed; a directory is listed; everything else is refused,
# including escapes through ".." and through a symlink, and FIFOs; writing
# is EROFS.
. "$(dirname "$0")/../lib/common.sh"

build_guest files files.c
mkdir -p "$WORK/data/sub" "$WORK/secret"
printf 'first line\nsecond\n' > "$WORK/data/a.txt"
printf 'b\n' > "$WORK/data/sub/b.txt"
printf 'top secret\n' > "$WORK/secret/s.txt"
printf 'single\n' > "$WORK/single.txt"
ln -s "$WORK/secret/s.txt" "$WORK/data/link.txt"

run_guest --allow "$WORK/data" --allow "$WORK/single.txt" "$WORK/files" \
	"$WORK/data/a.txt" "$WORK/single.txt" "$WORK/data/sub" \
	"$WORK/secret/s.txt" "$WORK/data/../secret/s.txt" \
	"$WORK/data/link.txt" "$WORK/data/missing" "$WORK/single.txt/../secret/s.txt" \
	"w:$WORK/data/new.txt"
expect_rc 0
expect_out "$WORK/data/a.txt: ok 18 first line mmap=same lseek=18
$WORK/single.txt: ok 7 single mmap=same lseek=7
$WORK/data/sub: dir 1 entries
$WORK/secret/s.txt: errno EACCES
$WORK/data/../secret/s.txt: errno EACCES
$WORK/data/link.txt: errno EACCES
$WORK/data/missing: errno ENOENT
$WORK/single.txt/../secret/s.txt: errno EACCES
write $WORK/data/new.txt: EROFS"
[ ! -e "$WORK/data/new.txt" ] || die "a file was created"

# A FIFO (or socket) is never opened, even inside an allowed directory:
# reading it could wait on another process past the time limit.
mkfifo "$WORK/data/fifo"
run_guest --timeout 5 --allow "$WORK/data" "$WORK/files" "$WORK/data/fifo"
expect_rc 0
expect_out "$WORK/data/fifo: errno EACCES"

# Nothing is visible without --allow.
run_guest "$WORK/files" "$WORK/data/a.txt" /etc/passwd
expect_out "$WORK/data/a.txt: errno EACCES
/etc/passwd: errno EACCES"
echo ok
