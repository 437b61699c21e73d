"""Runs argv under a pseudo-terminal and plays a script of steps on it, then prints JSON:
{"output": ..., "status": exit code or -signal, "timedOut": bool, "failedStep": index or null, "elapsed": s,
 "stopped": bool (the program was seen stopped, as a shell's waitpid(WUNTRACED) would)}.

The script (JSON, first argument) is a list of steps:
  {"wait": "TEXT"}            wait until TEXT has appeared in the output (after the previous wait's match)
  {"send": "TEXT"}            type TEXT (e.g. "\\u0003" for Ctrl-C, "\\u001a" for Ctrl-Z)
  {"resize": [ROWS, COLS]}    set the window size (TIOCSWINSZ; the kernel sends SIGWINCH to the foreground group)
  {"waitStopped": true}       wait until the program stops (what a shell sees after Ctrl-Z)
  {"cont": true}              send SIGCONT to the program's process group, as a shell's `fg` does
  {"sleep": SECONDS}
  {"mark": "NAME"}            record the output's length so far under NAME (in "marks")
  {"waitRaw": true}           wait until the terminal is out of canonical mode (the CLI's relay is in raw mode)
  {"states": "NAME", "argv0": "X"}  record under NAME (in "states") the states (R, S, T...; /proc/PID/stat) of the
                              processes whose argv[0] is X, wherever they run (a sandbox's pid namespace too)
    with "until": "stopped" or "running": first poll (up to 10 s) until at least one such process is found and
                              all of them are stopped (T) / none of them is; the states recorded are the last seen
                              (a signal's way through the CLI, the launcher and the sandbox takes time under load)
  {"termios": "NAME"}         record under NAME (in "termiosSame") whether the terminal's modes equal those it had
                              before the program started
At the end, "termiosRestored" says whether the modes equal the initial ones again, and "pendingInput" how many
bytes wait unread in the terminal's input queue (what would be typed into the caller's shell next).
Used by signals.test.ts and pty-relay.test.ts."""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

script = json.loads(sys.argv[1])
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
# The slave's modes, read through the master (TCGETS on a pty master answers for its slave), before the
# program (node) has started; and the slave's path (TIOCGPTN) to look at its input queue at the end.
initial = termios.tcgetattr(fd)
pts = '/dev/pts/%d' % struct.unpack('I', fcntl.ioctl(fd, 0x80045430, b'\0' * 4))[0]
termios_same = {}
states = {}


def states_of(argv0):
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as f:
                if f.read().split(b'\0')[0] != argv0.encode():
                    continue
            with open('/proc/%s/stat' % entry) as f:
                found.append(f.read().rsplit(')', 1)[1].split()[0])
        except OSError:
            pass
    return found

out = b''
mark = 0
start = time.time()
deadline = start + 40
status = None
stopped = False
failed = None
marks = {}


def pump(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        out += chunk
    return True


def reap(flags):
    """Collects a status change of the program; returns True once it has exited."""
    global status, stopped
    if status is not None:
        return True
    try:
        done, st = os.waitpid(pid, flags | os.WNOHANG)
    except ChildProcessError:
        return True
    if done == 0:
        return False
    if os.WIFSTOPPED(st):
        stopped = True
        return False
    status = os.waitstatus_to_exitcode(st)
    return True


for i, step in enumerate(script):
    ok = True
    if 'wait' in step:
        needle = step['wait'].encode()
        while needle not in out[mark:]:
            if time.time() > deadline or not pump(0.05) and reap(0):
                ok = False
                break
        if ok:
            mark = out.index(needle, mark) + len(needle)
    elif 'send' in step:
        os.write(fd, step['send'].encode())
    elif 'resize' in step:
        rows, cols = step['resize']
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    elif 'waitStopped' in step:
        stopped = False
        while not stopped:
            pump(0.05)
            if reap(os.WUNTRACED) or time.time() > deadline:
                ok = False
                break
    elif 'cont' in step:
        os.killpg(pid, signal.SIGCONT)
    elif 'waitRaw' in step:
        while termios.tcgetattr(fd)[3] & termios.ICANON:
            pump(0.02)
            if reap(0) or time.time() > deadline:
                ok = False
                break
    elif 'states' in step:
        found = states_of(step['argv0'])
        until = step.get('until')
        settle = min(deadline, time.time() + 10)
        while until is not None and time.time() < settle:
            if found and all((s == 'T') == (until == 'stopped') for s in found):
                break
            pump(0.05)
            found = states_of(step['argv0'])
        states[step['states']] = found
    elif 'termios' in step:
        termios_same[step['termios']] = termios.tcgetattr(fd) == initial
    elif 'mark' in step:
        marks[step['mark']] = len(out.decode('utf8', 'replace'))
    elif 'sleep' in step:
        end = time.time() + step['sleep']
        while time.time() < end:
            pump(0.05)
    if not ok:
        failed = i
        break

timed_out = False
while status is None:
    if time.time() > deadline:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGCONT)
    if not pump(0.05):
        _, st = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(st)
        break
    reap(0)
# Whatever is still buffered.
while pump(0):
    if not select.select([fd], [], [], 0)[0]:
        break
restored = termios.tcgetattr(fd) == initial
slave = os.open(pts, os.O_RDWR | os.O_NOCTTY)
pending = struct.unpack('i', fcntl.ioctl(slave, termios.FIONREAD, b'\0' * 4))[0]
os.close(slave)
print(json.dumps({'states': states, 'termiosSame': termios_same, 'termiosRestored': restored, 'pendingInput': pending, 'output': out.decode('utf8', 'replace'), 'status': status, 'timedOut': timed_out,
                  'failedStep': failed, 'stopped': stopped, 'marks': marks, 'elapsed': round(time.time() - start, 2)}))
