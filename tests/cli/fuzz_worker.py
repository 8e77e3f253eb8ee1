"""Runs ``lstm-shapes ARGV`` for the fuzz test, one forked child per invocation.

torch is imported once, here, before any fork (importing it costs 1-2 s; forking costs
milliseconds), and the parent never runs a torch operation, so no thread pool is copied
into the children. Each child gets its own address-space and CPU-time limits, writes its
stdout and stderr to files and leaves with the CLI's exit code, exactly as the console
script does. Protocol: one JSON job per line on stdin,
``{"argv": [...], "out": PATH, "err": PATH}``; one JSON reply per line on stdout,
``{"code": INT, "signal": INT | null, "seconds": FLOAT}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import time
import traceback

#: more than the default memory budget (2 GiB) plus what an imported torch maps
EXTRA_ADDRESS_SPACE = 4 * 2**30
CPU_SECONDS = 60
WALL_SECONDS = 90


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(argv: list[str], out: str, err: str, limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.close(0)
    sys.argv = ["lstm-shapes", *argv]
    code = 0
    try:
        from lstm_shapes.cli import main

        main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # what the CLI let escape: the test reports the traceback
        traceback.print_exc()
        code = 70
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _run(job: dict[str, object], limit: int) -> dict[str, object]:
    start = time.monotonic()
    argv = [str(a) for a in job["argv"]]  # type: ignore[attr-defined]
    pid = os.fork()
    if pid == 0:
        _child(argv, str(job["out"]), str(job["err"]), limit)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > WALL_SECONDS:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"code": None, "signal": "timeout", "seconds": WALL_SECONDS}
        time.sleep(0.005)
    seconds = time.monotonic() - start
    if os.WIFSIGNALED(status):
        return {"code": None, "signal": os.WTERMSIG(status), "seconds": seconds}
    return {"code": os.WEXITSTATUS(status), "signal": None, "seconds": seconds}


def serve() -> None:
    import torch  # noqa: F401  (once, before forking)

    limit = _address_space() + EXTRA_ADDRESS_SPACE
    for line in sys.stdin:
        reply = _run(json.loads(line), limit)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
