"""Runs a command on a pseudo-terminal and answers its prompts, for tests of interactive input.

Usage: pty_run.py STEPS_JSON -- COMMAND...
STEPS_JSON is a list of [pattern, reply]: wait until the output so far matches
the regular expression, then type the reply. Prints {"code", "output"} as JSON.
"""
import json
import os
import pty
import re
import select
import sys
import time

steps = json.loads(sys.argv[1])
command = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    # PTY_COLUMNS: the terminal's width, set before the command starts (it reads it once).
    if os.environ.get('PTY_COLUMNS'):
        import fcntl
        import struct
        import termios
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, int(os.environ['PTY_COLUMNS']), 0, 0))
    os.execvp(command[0], command)

output = b''
deadline = time.time() + float(os.environ.get('PTY_RUN_TIMEOUT', '20'))


def read_some(timeout):
    global output
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    if not chunk:
        return False
    output += chunk
    return True


seen_upto = 0
for pattern, reply in steps:
    regex = re.compile(pattern.encode())
    while time.time() < deadline:
        match = regex.search(output, seen_upto)
        if match:
            seen_upto = match.end()
            break
        if not read_some(0.1):
            break
    else:
        break
    if not match:
        break
    time.sleep(0.05)
    os.write(fd, reply.encode())

while time.time() < deadline and read_some(0.2):
    pass
finished, status = os.waitpid(pid, os.WNOHANG)
if finished == 0:
    # Still waiting for input nobody will type: stop it, and say so in the exit code.
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': output.decode('utf-8', 'replace')}))
