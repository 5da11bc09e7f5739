"""Batch ETL of the on-premise data: PostgreSQL (CRM/ERP) over JDBC and SAN CSV exports → lake reference layer.

- ``tables``     every source dataset as data: schema, cleaning rules, partitioning
- ``crm``        the seeded CRM/ERP generator and the PostgreSQL seeder (COPY)
- ``landing``    the SAN-style CSV exports: generator and explicit-schema reader
- ``extract``    partitioned, parallel JDBC reads (bounds computed from the table)
- ``transforms`` pure DataFrame → DataFrame: conform, reject with a reason, dedup, merge, enrich
- ``load``       writes to the lake: full overwrite or merge of the affected partitions
- ``state``      the high-water marks, stored with the lake
- ``dimension``  the client dimension the stream joins (``read_client_dimension``, ``ClientDimension``)
- ``job``        ``run_batch(spark, settings, mode)``: the whole run, with a per-table summary
"""
