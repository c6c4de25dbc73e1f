"""The grader's connection to a kernel started ahead of need."""

from __future__ import annotations

from pathlib import Path

import zmq

from autograder.config import Limits
from autograder.sandbox import RECONNECT_MS, Sandbox, SandboxedKernelManager


def test_the_grader_reconnects_promptly_to_a_kernel_still_making_sockets(
    tmp_path: Path,
) -> None:
    """zmq waits 100 ms before trying again, when a forked kernel is up within tens."""
    sandbox = Sandbox(61997, tmp_path / "work", tmp_path / "run", Limits())
    km = SandboxedKernelManager(sandbox)
    km._connect_control_socket()
    client = km.client()
    client.start_channels(hb=False)  # the heartbeat makes its socket in a thread of its own
    try:
        sockets = [km._control_socket, client.shell_channel.socket, client.iopub_channel.socket]
        assert [s.getsockopt(zmq.RECONNECT_IVL) for s in sockets] == [RECONNECT_MS] * 3
        assert RECONNECT_MS < 100
    finally:
        client.stop_channels()
        km._close_control_socket()
