"""Run a real retrain whose bulk priority write stalls, so a test can SIGKILL it.

usage: reorder_worker.py URL PROJECT

Prints "writing" once the new priorities are in the (uncommitted)
transaction, then sleeps inside it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from labelloop import Project
from labelloop.store import bulk

real_update = bulk.update_priorities


def stalled_update(*args: Any) -> int:
    updated = real_update(*args)
    print("writing", flush=True)
    time.sleep(600)
    return updated


def main() -> None:
    url, name = sys.argv[1:3]
    bulk.update_priorities = stalled_update  # type: ignore[assignment]
    Project(url, name).retrain()


if __name__ == "__main__":
    main()
