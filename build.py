#!/usr/bin/env python3
"""nianbao's one entry point: `python build.py` builds output/ from content/.

See `python build.py --help` for extract, serve, schemas and validate.
"""

import sys

from nianbao.cli import main

if __name__ == "__main__":
    sys.exit(main())
