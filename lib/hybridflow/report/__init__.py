"""The deliverable people read: what the notebooks call (tables, figures, data views), and its publishing.

- ``context``      the report's own topics/lake (`report_settings`), clean resets, notebook set-up
- ``display``      `show(df)`: tables that render as HTML in notebooks and as LaTeX in the PDF
- ``figures``      matplotlib figures (pandas in, Figure out), saved under report/figures/
- ``views``        small pandas views of what the notebooks show (read-back, progress, windows …)
- ``synthesis``    the figures the summary quotes, from one computation
- ``operations``   support figures from the lifecycle tables (pure: delays, SLA breaches, backlog, at risk)
- ``lifecycle_io`` reads the lifecycle's tables (delta-rs) and the SLA breach topic (read_committed)
- ``checklist``    the deliverables of the mission with their evidence and a computed status
- ``evidence``     the test results (JUnit XML) the checklist quotes
- ``deployment``   the local-vs-cluster run the deployment chapter shows
- ``publish``      the toolchain: execute and export the notebooks (HTML + PDF), slides, video, listings
"""
