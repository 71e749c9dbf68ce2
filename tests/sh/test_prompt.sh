#!/bin/bash
# test_prompt.sh - the interactive prompt. Without a terminal (lines on stdin): no prompt
# printed, expressions and multi-line blocks evaluated, help() printing docs/API.md's line,
# a line starting with an escape sequence refused with a message instead of "bad binary
# format". On a terminal (a pseudo-terminal driven from Python's pty module, when built with
# readline): the up arrow recalls the last statement, Tab completes rh. names and a
# tensor's methods, a double Tab lists the choices, help() works, Ctrl-D exits 0. Every
# step waits for the text it expects (no sleeps), up to 20 s.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

printf 'help(rh.rank.energy)\n6*7\nfor i = 1, 2 do\n  print("line " .. i)\nend\n\033[A\nhelp(rh.nn.Linear)\nhelp(42)\n' \
  | "$RANKHOST" > "$tmp/out" 2> "$tmp/err"
check "stdin prompt exits 0" '[ $? -eq 0 ]'
check "no prompt or banner without a terminal" '! grep -q "^> \|Ctrl-D" "$tmp/out"'
check "help(rh.rank.energy) prints its API.md line, once" \
  '[ "$(grep -c "^rh.rank.energy(W \[, tau=0.99\]) *-- smallest k with" "$tmp/out")" = 1 ]'
check "expressions print" 'grep -qx 42 "$tmp/out"'
check "a block over several lines" 'grep -qx "line 1" "$tmp/out" && grep -qx "line 2" "$tmp/out"'
check "an escape sequence is refused with a message" 'grep -q "escape sequence (an arrow key?) was ignored" "$tmp/err" && ! grep -q "binary" "$tmp/err"'
check "help(rh.nn.Linear)" 'grep -q "^nn.Linear(in, out)" "$tmp/out"'
check "help of a non-rh value says so" 'grep -q "^help: not a function or table of rh (number)" "$tmp/out"'

PY=/usr/bin/python3
if ! grep -q "^READLINE_LIBRARY:FILEPATH=/" "$RH_BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "note: built without readline: the terminal part was not run"
elif ! [ -x "$PY" ]; then
  echo "FAIL: no /usr/bin/python3 to drive a terminal"; fail=1
else
  "$PY" - "$RANKHOST" <<'PYEOF' > "$tmp/tty" 2>&1
import os, pty, re, select, sys, time
exe = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.environ["INPUTRC"] = "/dev/null"  # the user's key bindings must not change the test
    os.execv(exe, [exe])
buf, pos = b"", 0
def expect(pattern, what):
    global buf, pos
    rx = re.compile(pattern.encode())
    end = time.time() + 20
    while True:
        m = rx.search(buf, pos)
        if m:
            pos = m.end()
            return
        left = end - time.time()
        if left <= 0:
            print("FAIL: %s: waited 20 s for %r; the terminal showed:\n%r" % (what, pattern, buf[pos:]))
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                print("FAIL: %s: the prompt ended; it showed:\n%r" % (what, buf[pos:]))
                sys.exit(1)
            buf += chunk
def send(s): os.write(fd, s.encode())
# Each line is sent once its prompt is shown: readline puts the terminal in raw mode before
# it prints the prompt, and a Ctrl-D typed ahead while the terminal is still in canonical
# mode would be taken by the line discipline and lost.
def prompt(what): expect(r"> $", "the prompt before " + what)  # the prompt, last on the screen
expect(r"Ctrl-D to quit", "banner")
prompt("6*7")
send("6*7\r")
expect(r"\r\n42\r\n", "6*7")
prompt("the up arrow")
send("\x1b[A")                      # up arrow: the last statement comes back
expect(r"6\*7", "history recalls 6*7")
send("\r")
expect(r"\r\n42\r\n", "the recalled statement runs")
prompt("Tab")
send("rh.rank.ene\t")               # Tab completes the unique name
expect(r"rh\.rank\.energy", "Tab completes rh.rank.energy")
send("(rh.eye(3))\r")
expect(r"\r\n3\r\n", "the completed call runs")
prompt("a double Tab")
send("rh.rank.s\t\t")               # ambiguous: a double Tab lists the choices
expect(r"rh\.rank\.stable", "the choices are listed")
expect(r"rh\.rank\.svals", "all of them")
send("\x15\r")                      # Ctrl-U clears the line; an empty line runs nothing
prompt("t = ...")
send("t = rh.ones(2, 3)\r")
prompt("t:nume Tab")
send("t:nume\t()\r")                # a tensor's methods, through its metatable
expect(r"t:numel\(\)\r\n6\r\n", "Tab completes t:numel")
prompt("help")
send("help(rh.rank.energy)\r")
expect(r"rh\.rank\.energy\(W \[, tau=0\.99\]\) +-- smallest k", "help() at the terminal")
prompt("Ctrl-D")
send("\x04")                        # Ctrl-D
end = time.time() + 20
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > end:
        os.kill(pid, 9)
        print("FAIL: Ctrl-D: the prompt did not exit within 20 s"); sys.exit(1)
    time.sleep(0.05)
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    print("FAIL: Ctrl-D: ended with status %r" % status); sys.exit(1)
print("terminal: ok")
PYEOF
  check "the terminal prompt (readline: history, completion, help, Ctrl-D)" 'grep -q "^terminal: ok" "$tmp/tty" || { cat "$tmp/tty"; false; }'
fi
exit $fail
