"""Runs argv under a pseudo-terminal, waits for READY on it, types Ctrl-C, and prints JSON:
{"output": ..., "status": exit code or -signal, "timedOut": bool}. Used by interrupt.test.ts."""
import json, os, pty, select, signal, sys, time

argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

out = b''
deadline = time.time() + 30
sent = False
timed_out = False
while True:
    if time.time() > deadline:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        break
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b'READY' in out:
        os.write(fd, b'\x03')
        sent = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'output': out.decode('utf8', 'replace'), 'status': os.waitstatus_to_exitcode(status), 'sentCtrlC': sent, 'timedOut': timed_out}))
