"""`python -m hybridflow.bench [NAME [ARGS]]` (what `make bench` runs).

With a NAME (a module of this package: ``produce``, ``batch`` …) run that benchmark with
ARGS; with none, run every benchmark with its defaults, one after the other.
"""

import importlib
import pkgutil
import sys

import hybridflow.bench as bench

names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
args = sys.argv[1:]
if args and args[0] in ("-h", "--help"):
    print(f"usage: python -m hybridflow.bench [{'|'.join(names)} [ARGS]]  (no name: run them all)")
    raise SystemExit(0)
if args and args[0] not in names:
    raise SystemExit(f"unknown benchmark {args[0]!r}: choose one of {', '.join(names)}")
selected = [(args[0], args[1:])] if args else [(name, []) for name in names]
codes = [importlib.import_module(f"hybridflow.bench.{name}").main(argv) for name, argv in selected]
raise SystemExit(max(codes))
