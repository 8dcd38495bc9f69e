"""exitlab_version - what the Python scripts in scripts/ share for their
command lines: the one version of exitlab, VMM_VERSION in vmm/vmm.h (which
build/vmm, build/pciinfo and build/bare-vm print too), and argparse errors
as one line. Imported, not run: a script's own folder is on sys.path.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version():
    """VMM_VERSION from vmm/vmm.h, or "unknown" without a checkout."""
    try:
        with open(os.path.join(ROOT, "vmm", "vmm.h")) as f:
            m = re.search(r'^#define VMM_VERSION "([^"]+)"', f.read(), re.M)
    except OSError:
        m = None
    return m.group(1) if m else "unknown"


def version_line(name):
    return f"exitlab {name} {version()}"


def one_line_errors(parser, name):
    """parser.error() prints 'NAME: MESSAGE (see --help)' and exits 2,
    instead of the usage text and then the message."""
    def error(msg):
        print(f"{name}: {msg} (see --help)", file=sys.stderr)
        sys.exit(2)
    parser.error = error
