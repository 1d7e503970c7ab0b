"""pytest fixtures of the conformance suites (helpers in harness.py)."""
import pytest

import harness


@pytest.fixture(scope="session")
def server():
    """One tinyserve for the whole suite (a suite is one pytest run); it must
    drain and exit 0 on SIGTERM."""
    s = harness.Server()
    yield s
    rc = s.stop()
    assert rc == 0, f"tinyserve exited with {rc} on SIGTERM:\n{s.log()[-4000:]}"


@pytest.fixture(scope="session")
def oracle():
    """Every bundled model's oracle vectors, by model name."""
    harness.require_oracle()
    models = harness.oracle_models()
    missing = set(harness.bundled_models()) - set(models)
    assert not missing, f"bundled models without oracle vectors: {sorted(missing)}"
    return models
