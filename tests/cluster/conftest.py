"""The cluster's object store, and the fault runs' replayable seed (``FAULT_SEED=<n>``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from benchmarks.live import free_port
from tests.conftest import S3_TEST_BUCKET, S3_TEST_CREDENTIALS
from tests.faults.conftest import seed  # noqa: F401  (the fixture, shared)


@pytest.fixture
def s3_process(tmp_path: Path) -> Iterator[str]:
    """An S3 server of its own (moto in server mode) in a separate process, as a store is in production: the
    session's in-process one would share this test process's interpreter with the phones and the fault proxy."""
    port = free_port()
    with open(tmp_path / "moto.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, **S3_TEST_CREDENTIALS},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (tmp_path / "moto.log").read_text()[-2000:]
                    raise RuntimeError(f"moto server did not start: {log}") from exc
                time.sleep(0.2)
        credentials = {k.lower(): v for k, v in S3_TEST_CREDENTIALS.items()}
        client = boto3.session.Session(**credentials).client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=S3_TEST_BUCKET)
        yield endpoint
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
