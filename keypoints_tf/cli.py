"""The one error handler of every command-line entry point.

    if __name__ == "__main__":
        app.run(cli.guarded(main))      # absl
        cli.run(main)                   # argparse-style main(argv=None)

Our errors (`KeypointsError`: bad data, a bad model file, an output that must not be replaced, training
that cannot go on) and operating-system errors about a named file (a full disk, a folder that is a file,
no permission) end the program with one ``error: ...`` line on stderr and exit code 2. Ctrl-C and SIGTERM
print one line (exit 130 / 143). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import signal
import sys

from keypoints_tf.errors import Interrupted, KeypointsError

EXIT_ERROR = 2


def guarded(main):
    """`main` wrapped by `run`, for `absl.app.run(guarded(main))`."""
    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        return run(main, *args, **kwargs)
    return wrapper


def run(main, *args, **kwargs):
    """Calls `main`; turns the expected failures into one line and an exit code (see the module doc)."""
    try:
        return main(*args, **kwargs)
    except KeypointsError as e:
        _exit(f"error: {e}", EXIT_ERROR)
    except OSError as e:
        if e.filename is None or not e.strerror:
            raise
        where = e.filename if e.filename2 is None else f"{e.filename} -> {e.filename2}"
        _exit(f"error: {where}: {e.strerror}", EXIT_ERROR)
    except Interrupted as e:
        _exit(str(e), 128 + e.signal_number)
    except KeyboardInterrupt:
        _exit("interrupted (Ctrl-C)", 128 + signal.SIGINT)


def _exit(line: str, code: int):
    sys.stderr.flush()
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(code)
