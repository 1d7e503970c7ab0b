# Generates the gRPC stubs (tinyserve/v1/*_pb2*.py) from the repository's
# proto/tinyserve/v1/*.proto on every build, so they always match the server's
# protos and are never checked in. All metadata lives in pyproject.toml.
import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_stubs  # noqa: E402  (a file beside this one)

generate_stubs.generate()
setup()
