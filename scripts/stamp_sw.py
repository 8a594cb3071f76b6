"""Stamps the household app's service worker with a version derived from the shell's content.

``python scripts/stamp_sw.py`` rewrites ``const VERSION = '...'`` in ``pwa/sw.js`` to a hash of every file
the worker precaches. Browsers only notice a new app version when ``sw.js`` itself changes, so a shell
edit without a new VERSION would leave phones on the old code; ``--check`` (used by the browser tests)
fails when the stamp is stale. No build step: the files are served as they are.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

PWA = Path(__file__).resolve().parent.parent / "pwa"
VERSION_RE = re.compile(r"const VERSION = '([^']*)';")


def shell_files(sw_source: str) -> list[Path]:
    """The files named in the worker's SHELL list ('./' is index.html)."""
    block = sw_source[sw_source.index("const SHELL = [") : sw_source.index("].map(")]
    names = re.findall(r"'([^']+)'", block)
    return sorted(PWA / ("index.html" if n == "./" else n) for n in names)


def shell_version(sw_source: str) -> str:
    """A short hash of the shell files' names and bytes, and of sw.js without its own stamp."""
    digest = hashlib.sha256(VERSION_RE.sub("", sw_source).encode())
    for path in shell_files(sw_source):
        digest.update(path.relative_to(PWA).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def main(argv: list[str]) -> int:
    """Stamps sw.js, or with --check only reports whether the stamp is current (exit 1 if not)."""
    sw = PWA / "sw.js"
    source = sw.read_text()
    current = VERSION_RE.search(source)
    wanted = shell_version(source)
    if current and current.group(1) == wanted:
        return 0
    if "--check" in argv:
        print(f"pwa/sw.js VERSION is stale: run python scripts/stamp_sw.py (want {wanted})")
        return 1
    sw.write_text(VERSION_RE.sub(f"const VERSION = '{wanted}';", source))
    print(f"pwa/sw.js VERSION = {wanted}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
