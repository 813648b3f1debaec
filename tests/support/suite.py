"""The case runner of the Python test drivers (tests/examples, tests/interop).

Each case prints `PASS name`, `FAIL name: why` or `SKIP name: why`; a
driver ends with `N passed, M failed, K skipped` and exits 1 on a failure.
"""

import time


class Skip(Exception):
    """Raised by a case that cannot run here (a tool is missing)."""


class Suite:
    def __init__(self, only=None, timings=True):
        self.only = only or []
        self.timings = timings
        self.passed = self.failed = self.skipped = 0
        self.notes = []

    def case(self, name, fn, *a):
        if self.only and not any(k in name for k in self.only):
            return
        t0 = time.monotonic()
        try:
            fn(*a)
        except Skip as e:
            self.skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
            return
        except Exception as e:  # noqa: BLE001 - every failure is a FAIL line
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            return
        self.passed += 1
        print(f"PASS {name}" + (f" ({time.monotonic() - t0:.2f} s)" if self.timings else ""), flush=True)

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        return 1 if self.failed else 0
