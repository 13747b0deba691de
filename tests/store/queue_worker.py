"""A labelling worker run as its own process by the concurrency tests.

usage: queue_worker.py URL PROJECT ANNOTATOR OUT {label|hold}

``label``: claim and submit until the pool is empty, appending one line
``lease_id label_id item_key`` to OUT after each acknowledged submit, and
releasing one item in ten first to stir the pool.
``hold``: claim five items, write their keys to OUT, then sleep (the test
kills it with SIGKILL).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from labelloop import Project


def label_until_empty(project: Project, annotator: str, out: Path) -> None:
    released = 0
    with out.open("a") as log:
        while leases := project.claim(annotator, 2):
            for lease in leases:
                if released < 3 and hash(lease.id) % 10 == 0:
                    project.release(lease)
                    released += 1
                    continue
                label_id = project.submit(lease, "yes")
                log.write(f"{lease.id} {label_id} {lease.item_key}\n")
                log.flush()


def hold_leases(project: Project, annotator: str, out: Path) -> None:
    keys = [lease.item_key for lease in project.claim(annotator, 5)]
    out.write_text(" ".join(keys) + "\n")
    time.sleep(600)


def main() -> None:
    url, name, annotator, out, mode = sys.argv[1:6]
    project = Project(url, name)
    (label_until_empty if mode == "label" else hold_leases)(project, annotator, Path(out))


if __name__ == "__main__":
    main()
