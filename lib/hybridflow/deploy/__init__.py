"""Deployment: the Compose topology as data, the lake read back without Spark, runs on a Spark cluster.

- ``compose``: load ``docker-compose.yml`` and describe its services (for the report and the static tests).
- ``lake``: list and read a lake dataset's committed files through the S3 API (boto3) or the local disk.
- ``runner``: run ``hybridflow stream`` in a subprocess on a given master and collect proof of where it ran.
"""
