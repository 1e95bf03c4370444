#!/usr/bin/python3
"""Every command's --help: exit 0, its usage line, its exit statuses, and only options the
documentation describes (docs/*.md, README.md); an unknown option is exit 2 with one line
naming it.

usage: help_cli.py ADNET REPO
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402

COMMANDS = ("devices", "segment", "eval", "inspect", "bench", "demo", "tune")


def main():
    adnet, repo = sys.argv[1:3]
    docs = ""
    for path in glob.glob(os.path.join(repo, "docs", "*.md")) + [os.path.join(repo, "README.md")]:
        with open(path) as f:
            docs += f.read()
    for cmd in COMMANDS:
        p = subprocess.run([adnet, cmd, "--help"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "%s --help exits 0 (got %d)" % (cmd, p.returncode))
        check(p.stdout.startswith("Usage: adnet %s" % cmd), "%s --help starts with its usage" % cmd)
        check("Exit status" in p.stdout, "%s --help gives the exit statuses" % cmd)
        options = re.findall(r"^  (--[a-z0-9-]+)", p.stdout, re.M)
        check(len(options) >= 2, "%s --help lists options: %s" % (cmd, options))
        for opt in options:
            check(re.search(re.escape(opt) + r"\b", docs) is not None,
                  "adnet %s %s is documented" % (cmd, opt))
        p = subprocess.run([adnet, cmd, "--no-such-option"], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 2 and "--no-such-option" in p.stderr.splitlines()[0] and
              not p.stdout, "%s with an unknown option: exit 2 naming it (%d, %r)"
              % (cmd, p.returncode, p.stderr[:120]))
    return finish("help_cli")


if __name__ == "__main__":
    sys.exit(main())
