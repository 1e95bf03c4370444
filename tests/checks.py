"""The tally of the Python test scripts: every failed check is printed and remembered, and
finish() prints the script's verdict and returns its exit status (1 when anything failed).

    sys.path.insert(0, TESTS_DIR)
    from checks import check, fail, finish
"""

import sys

failures = []


def check(cond, what, quiet=False):
    """Records `what` as failed unless cond. Prints every check, or with quiet only failures.
    Returns cond, so that a caller can skip what depends on it."""
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    elif not quiet:
        print("ok: " + what)
    return cond


def fail(msg):
    """Records a failure found by other means, on standard error."""
    failures.append(msg)
    sys.stderr.write("FAIL: " + msg + "\n")


def finish(name):
    if failures:
        print("%s: %d failure(s)" % (name, len(failures)))
        return 1
    print("%s: all checks passed" % name)
    return 0
