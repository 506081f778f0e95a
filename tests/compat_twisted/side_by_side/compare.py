"""Runs scenarios.py under Twisted and the weft program, and compares their
output line by line. Exit 0 when identical, 1 with a diff otherwise. A missing
Twisted is a failure, not a skip: `make deps` installs python3-twisted, so its
absence means the machine is not set up (set WEFT_ALLOW_NO_TWISTED=1 to turn
it into meson's "skipped", 77, on a machine that cannot have it).

usage: /usr/bin/python3 compare.py SCENARIOS_PY WEFT_PROGRAM"""

import difflib
import os
import subprocess
import sys


def main():
    scenarios, program = sys.argv[1], sys.argv[2]
    try:
        import twisted  # noqa: F401
    except ImportError:
        print("FAIL: Twisted is not importable by %s, so the side-by-side comparison "
              "cannot run. Install it with `make deps` (Debian package python3-twisted)."
              % sys.executable)
        if os.environ.get("WEFT_ALLOW_NO_TWISTED") == "1":
            print("WEFT_ALLOW_NO_TWISTED=1: reporting the test as skipped")
            return 77
        return 1
    theirs = subprocess.run([sys.executable, scenarios], capture_output=True, text=True, check=True)
    ours = subprocess.run([program], capture_output=True, text=True)
    if ours.returncode != 0:
        print("weft program failed with", ours.returncode, ours.stderr)
        return 1
    a = theirs.stdout.splitlines()
    b = ours.stdout.splitlines()
    if a == b:
        print("identical: %d lines" % len(a))
        return 0
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(a, b, "twisted", "weft", lineterm=""))
    return 1


if __name__ == "__main__":
    sys.exit(main())
