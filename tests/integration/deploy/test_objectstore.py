"""The object store the project starts: up, idempotent, bucket created, listed and read through the S3 API."""

from __future__ import annotations

import pytest

from hybridflow.errors import StackError
from hybridflow.services.objectstore import ObjectStore, ObjectStorePaths, ensure_buckets, s3_client, server_answers
from hybridflow.services.process import PidFile

pytestmark = pytest.mark.integration


def test_start_creates_the_lake_bucket(object_store, s3_settings):
    assert object_store.running and server_answers(s3_settings)
    assert object_store.started_in_s is not None and object_store.started_in_s < 30
    names = [b["Name"] for b in s3_client(s3_settings).list_buckets()["Buckets"]]
    assert "lake-tests" in names


def test_start_and_bucket_creation_are_idempotent(object_store, s3_settings):
    again = ObjectStore().start(s3_settings)
    assert again.pid == object_store.pid
    assert ensure_buckets(s3_settings) == ["lake-tests"]  # already there: no error


def test_objects_round_trip_through_the_s3_api(object_store, s3_settings):
    client = s3_client(s3_settings)
    client.put_object(Bucket="lake-tests", Key="probe/hello.txt", Body=b"hello lake")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="lake-tests", Prefix="probe/")["Contents"]]
    assert keys == ["probe/hello.txt"]
    assert client.get_object(Bucket="lake-tests", Key="probe/hello.txt")["Body"].read() == b"hello lake"
    # posix backend: the object is a plain file under the state dir
    assert (ObjectStorePaths.of(s3_settings).data / "lake-tests" / "probe" / "hello.txt").read_bytes() == b"hello lake"
    client.delete_object(Bucket="lake-tests", Key="probe/hello.txt")


def test_status_reports_the_running_store(object_store, s3_settings):
    status = ObjectStore().status(s3_settings)
    assert status.running and status.pid == object_store.pid
    assert PidFile(ObjectStorePaths.of(s3_settings).pid).read() == object_store.pid


def test_a_taken_port_gives_a_clear_error(object_store, s3_settings, tmp_path):
    # Another state dir (so no pid file) on the port the running store already holds.
    other = s3_settings.with_(state_dir=tmp_path)
    paths = ObjectStorePaths.of(other)
    paths.binary.parent.mkdir(parents=True)
    paths.binary.symlink_to(ObjectStorePaths.of(s3_settings).binary.resolve())
    paths.stamp.touch()
    with pytest.raises(StackError, match="already in use"):
        ObjectStore().start(other)
