"""Deploy: push the intended configuration to network devices, safely (see run.py, device.py)."""

from infra.deploy.options import DeployOptions, OptionError, parse_duration
from infra.deploy.run import deploy
from infra.deploy.runstate import EXIT_FAILED, EXIT_OK, EXIT_PENDING, DeployReport

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PENDING",
    "DeployOptions",
    "DeployReport",
    "OptionError",
    "deploy",
    "parse_duration",
]
