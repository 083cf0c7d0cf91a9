#!/usr/bin/env python3
"""nianbao's one entry point: `python build.py` builds output/ from content/.

See `python build.py --help` for extract, serve, schemas and validate.
"""

from nianbao.cli import run

if __name__ == "__main__":
    run()
