"""`python -m hybridflow.bench [ARGS]` (what `make bench` runs): the producer benchmark for now."""

from hybridflow.bench.produce import main

raise SystemExit(main())
