#!/bin/bash
# test_full_disk.sh - a full disk, for real: a 256 KiB tmpfs filled up, then every kind of
# file the library writes (a figure, a checkpoint, a whole file by rh.io.write_atomic, a
# JSON-lines log) is written onto it over an existing good one. Each write must fail with an
# error naming the file, leave the old file byte for byte, leave no temporary file beside
# it, and (for the log) keep whole lines only. Then, with room again, the same writes work.
# Mounting needs root and a kernel that allows it: otherwise the test is skipped (77).
set -u
work=$(mktemp -d)
mnt=$work/disk
mkdir -p "$mnt"
cleanup() { umount "$mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
  echo "SKIP: cannot mount a small tmpfs here (needs root)"; exit 77
fi
command -v gnuplot >/dev/null || { echo "FAIL: gnuplot is a test dependency (debian-packages.txt)"; exit 1; }
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; cat "$work/err" 2>/dev/null; fail=1; fi; }

# the good files, written while there is room
cat > "$work/write.lua" <<'LUA'
local dir, mode = ...
local function fig() return rh.plot.line { path = dir .. "/fig.png", title = "t", xlabel = "x", ylabel = "y",
  series = { { name = "a", x = { 1, 2, 3 }, y = { 1, 4, 9 } } } } end
local function ckpt() rh.save(dir .. "/w.safetensors", { w = rh.ones(50, 50) }) end
local function whole() rh.io.write_atomic(dir .. "/config.json", string.rep("x", 20000)) end
local function log()
  local w = rh.log.jsonl(dir .. "/runs.jsonl", { append = true })
  for i = 1, 40 do w:write({ i = i, pad = string.rep("y", 2000) }) end
  w:close()
end
if mode == "good" then
  fig(); ckpt(); whole(); rh.io.write_atomic(dir .. "/runs.jsonl", '{"i":0}\n')
  print("written")
  return
end
local failed = 0
for name, f in pairs { figure = fig, checkpoint = ckpt, whole = whole, log = log } do
  local ok, err = pcall(f)
  print(name .. ": " .. (ok and "succeeded" or tostring(err)))
  if not ok then failed = failed + 1 end
end
print("failed " .. failed)
LUA
"$RANKHOST" "$work/write.lua" "$mnt" good > "$work/err" 2>&1
check "the good files are written while there is room" '[ $? -eq 0 ] && [ -s "$mnt/fig.png" ] && [ -s "$mnt/w.safetensors" ]'
(cd "$mnt" && md5sum fig.png w.safetensors config.json runs.jsonl) > "$work/before"

cat > "$work/lines.lua" <<'LUA'
local rows, torn = rh.log.read_jsonl(arg[1])
assert(torn == 0 and rows[1].i == 0, "a torn or lost line")
LUA

# fill the disk: what is left is less than any of the new files needs
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
dd if=/dev/zero of="$mnt/filler2" bs=512 2>/dev/null
"$RANKHOST" "$work/write.lua" "$mnt" full > "$work/err" 2>&1
rc=$?
cat "$work/err"
check "the script itself ran to its end" '[ $rc -eq 0 ] && grep -q "^failed 4$" "$work/err"'
check "the figure's error names the file and the disk" 'grep -q "^figure: rh.plot.line: $mnt/fig.png: write failed: No space left on device" "$work/err"'
check "the checkpoint's error names the file" 'grep -q "^checkpoint: .*$mnt/w.safetensors.*No space left on device" "$work/err"'
check "write_atomic's error names the file" 'grep -q "^whole: .*$mnt/config.json.*No space left on device" "$work/err"'
check "the log's error names the file, not \"appender\"" 'grep -q "^log: .*$mnt/runs.jsonl: write failed: No space left on device" "$work/err" && ! grep -q appender "$work/err"'
check "the figure, checkpoint and whole file are byte for byte the old ones" \
  '(cd "$mnt" && md5sum fig.png w.safetensors config.json) | cmp -s - <(head -3 "$work/before")'
check "no temporary file is left beside them" '[ -z "$(ls "$mnt" | grep -v -x -e fig.png -e w.safetensors -e config.json -e runs.jsonl -e filler -e filler2)" ]'
check "the log holds whole lines only (the torn write was cut back)" \
  '[ "$(tail -c 1 "$mnt/runs.jsonl" | od -An -c | tr -d " ")" = "\\n" ] && "$RANKHOST" "$work/lines.lua" "$mnt/runs.jsonl"'

# gnuplot itself on a full disk (its temporary folder there): a truncated or missing image
# is refused, and the figure elsewhere stays the old one
"$RANKHOST" "$work/write.lua" "$work" good > "$work/err" 2>&1
md5sum "$work/fig.png" > "$work/fig.md5"
cat > "$work/fig.lua" <<'LUA'
local ok, err = pcall(rh.plot.line, { path = arg[1] .. "/fig.png", title = "t", xlabel = "x", ylabel = "y",
  series = { { name = "a", x = { 1, 2, 3 }, y = { 3, 2, 1 } } } })
print(ok and "succeeded" or err)
LUA
TMPDIR=$mnt "$RANKHOST" "$work/fig.lua" "$work" > "$work/err" 2>&1
check "a figure whose rendering hit the full disk is refused, naming the file" \
  'grep -q "^rh.plot.line: .*$work/fig.png" "$work/err" && md5sum -c --quiet "$work/fig.md5"'

# with room again, the same writes succeed
rm -f "$mnt/filler" "$mnt/filler2"
"$RANKHOST" "$work/write.lua" "$mnt" good > "$work/err" 2>&1
check "with room again the files are written" '[ $? -eq 0 ] && grep -q written "$work/err"'
exit $fail
