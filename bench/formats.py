"""Reader cost per format over the committed fixtures: per page for PDF, per document for
DOCX, HTML and text. Prints figures; asserts nothing.

    python bench/formats.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nianbao import readers  # noqa: E402
from nianbao.discover import source_for  # noqa: E402
from nianbao.extract import extract  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SKIP = {"scanned.pdf", "encrypted.pdf"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(p for p in FIXTURES.rglob("*")
                   if p.suffix in (".pdf", ".docx", ".html", ".txt") and p.name not in SKIP)
    files += sorted((ROOT / "content" / "reports").rglob("*.txt"))
    read_cost, extract_cost, pages = defaultdict(list), defaultdict(list), defaultdict(int)
    for path in files:
        fmt = readers.reader_for(path).format
        for _ in range(args.repeat):
            start = time.perf_counter()
            readers.read(path)
            read_cost[fmt].append(time.perf_counter() - start)
            start = time.perf_counter()
            extract(source_for(path))
            extract_cost[fmt].append(time.perf_counter() - start)
        if fmt == "pdf":
            import pdfplumber

            with pdfplumber.open(path) as pdf:
                pages[fmt] += len(pdf.pages) * args.repeat
    print(f"{'format':<6} {'files':>5} {'read/doc':>10} {'read/page':>10} {'extract/doc':>12}")
    for fmt in sorted(read_cost):
        n = len(read_cost[fmt]) // args.repeat
        per_doc = statistics.mean(read_cost[fmt]) * 1000
        per_page = (f"{sum(read_cost[fmt]) / pages[fmt] * 1000:8.1f}ms" if pages[fmt] else "")
        print(f"{fmt:<6} {n:>5} {per_doc:8.1f}ms {per_page:>10} "
              f"{statistics.mean(extract_cost[fmt]) * 1000:10.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
