#!/usr/bin/env python3
"""Prints the failed tests of a .trx file (name, first lines of the message), so the end of a CI log names them; and
the tests not run (ignored, inconclusive) with why.

CI keeps only the tail of a long log; the per-test lines of a failure scroll out of it.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
MAX_TESTS = 30
MAX_MESSAGE_LINES = 6


def main(path: str) -> int:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"run-tests: cannot read {path}: {error}", file=sys.stderr)
        return 1
    # Skipped (Assert.Ignore) and inconclusive (Assert.Inconclusive: no verdict, e.g. a machine too loaded to judge
    # a timer) tests are not failures, but each says why.
    for result in root.iter(NS + "UnitTestResult"):
        if result.get("outcome") == "NotExecuted":
            message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
            why = message.text.strip().splitlines()[0] if message is not None and message.text else "no reason given"
            print(f"  not run: {result.get('testName')}: {why}")
    failed = [r for r in root.iter(NS + "UnitTestResult") if r.get("outcome") not in ("Passed", "NotExecuted")]
    if not failed:
        return 0
    print(f"run-tests: {len(failed)} failed test(s):")
    for result in failed[:MAX_TESTS]:
        print(f"  FAILED {result.get('testName')} ({result.get('outcome')}, {result.get('duration')})")
        message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
        if message is not None and message.text:
            for line in message.text.strip().splitlines()[:MAX_MESSAGE_LINES]:
                print(f"    {line}")
    if len(failed) > MAX_TESTS:
        print(f"  … and {len(failed) - MAX_TESTS} more (see the .trx file)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
