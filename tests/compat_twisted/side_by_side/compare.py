"""Runs scenarios.py under Twisted and the weft program, and compares their
output line by line. Exit 0 when identical, 1 with a diff otherwise, 77
(meson's "skipped") when Twisted is not installed.

usage: /usr/bin/python3 compare.py SCENARIOS_PY WEFT_PROGRAM"""

import difflib
import subprocess
import sys


def main():
    scenarios, program = sys.argv[1], sys.argv[2]
    try:
        import twisted  # noqa: F401
    except ImportError:
        print("python3-twisted is not installed for", sys.executable, "- skipping")
        return 77
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
