"""The `hybridflow` command line, one module per concern, each with ``register(subparsers)``.

- ``toolchain``     `setup`, `settings`
- ``architecture``  `diagrams`
- ``stack``         `up`, `down`, `status`, `cluster …`, `objectstore …` (the local services)
- ``tickets``       `produce`
- ``streaming``     `stream`
- ``demo``          `demo`
- ``batch``         `seed-crm`, `batch`
- ``report``        `report`, `slides`, `video`

Commands are thin: they read the settings, call the package, and print the one-line summary
(libraries log, commands print). :mod:`hybridflow.cli` registers them, in this order.
"""
