"""The grader's connection to a kernel: prompt to a kernel started ahead of need, and
bounded in what it reads from one (issue 14)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

from autograder.course.config import Limits
from autograder.runtime.sandbox import (
    RECONNECT_MS,
    PromptKernelClient,
    Sandbox,
    SandboxedKernelManager,
)


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


def test_the_control_channel_reads_no_large_message(tmp_path: Path) -> None:
    """Its replies are small; a kernel that sends a huge one is refused unread."""
    km = SandboxedKernelManager(Sandbox(61997, tmp_path / "work", tmp_path / "run", Limits()))
    km._connect_control_socket()
    try:
        socket = km._control_socket
        assert socket.getsockopt(zmq.MAXMSGSIZE) == SandboxedKernelManager.CONTROL_MESSAGE_BYTES
        assert socket.getsockopt(zmq.RCVHWM) * socket.getsockopt(zmq.MAXMSGSIZE) <= 2**20
    finally:
        km._close_control_socket()


def test_the_grader_reads_no_message_over_the_output_budget(tmp_path: Path) -> None:
    """libzmq refuses a larger one from its header, before anything is allocated, and
    holds a bounded number of the rest."""
    limits = Limits(max_output_kb=64)
    km = SandboxedKernelManager(Sandbox(61997, tmp_path / "work", tmp_path / "run", limits))
    client = km.client()
    client.start_channels(hb=False)
    try:
        cap = 64 * 1024 + PromptKernelClient.HEADROOM
        sockets = [client.shell_channel.socket, client.iopub_channel.socket]
        assert [s.getsockopt(zmq.MAXMSGSIZE) for s in sockets] == [cap] * 2
        held = [s.getsockopt(zmq.RCVHWM) * cap for s in sockets]
        assert max(held) <= PromptKernelClient.QUEUE_BYTES
    finally:
        client.stop_channels()


class LocalKernelManager(AsyncKernelManager):
    """An ordinary local kernel (no sandbox), reached through the grader's client."""

    client_class = DottedObjectName("autograder.runtime.sandbox.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)


async def _outputs(client: PromptKernelClient, msg_id: str) -> list[dict[str, Any]]:
    """The IOPub messages of one request, up to its "idle", as nbclient reads them."""
    seen = []
    while True:
        msg = await client.iopub_channel.get_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return seen


async def _reply(client: PromptKernelClient, msg_id: str) -> dict[str, Any]:
    while True:
        msg = await client.shell_channel.get_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


@pytest.mark.sandbox
def test_a_refused_message_is_reported_and_the_kernel_stays_reachable() -> None:
    """zmq drops the connection on which it refused a message and does not make it again;
    the client does, and stands in for what was lost: a note and the end of the cell's
    output on IOPub, an OutputTooLarge error for a reply."""

    async def scenario() -> None:
        km = LocalKernelManager()
        await km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = km.client(max_message_bytes=100_000)
        client.start_channels(hb=False)
        try:
            await client.wait_for_ready(timeout=60)
            printed = client.execute("print('x' * 1_000_000)")
            texts = [m["content"].get("text", "") for m in await _outputs(client, printed)]
            assert any("output too large" in text for text in texts)
            assert not any("xxxx" in text for text in texts)
            assert (await _reply(client, printed))["content"]["status"] == "ok"

            huge = client.execute("pass", user_expressions={"big": "'y' * 1_000_000"})
            content = (await _reply(client, huge))["content"]
            assert (content["status"], content["ename"]) == ("error", "OutputTooLarge")

            after = client.execute("print('still here')", user_expressions={"two": "1 + 1"})
            texts = [m["content"].get("text", "") for m in await _outputs(client, after)]
            assert "still here\n" in texts
            content = (await _reply(client, after))["content"]
            assert content["user_expressions"]["two"]["data"]["text/plain"] == "2"
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    asyncio.run(scenario())


class _LateShell:
    """A shell channel whose kernel was still starting when the first request came:
    that request gets no reply in time, and every reply then comes one request late."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.sent = 0
        self.first = True

    async def get_msg(self, timeout: float) -> dict[str, Any]:
        if self.first:
            self.first = False
            raise Empty
        return {"parent_header": {"msg_id": self.pending.pop(0)}, "content": {}}


class _TalkativeIOPub:
    async def get_msg(self, timeout: float) -> dict[str, Any]:
        return {"msg_type": "status"}


class _SlowStartClient(PromptKernelClient):
    """The grader's client, its channels replaced by the late kernel above."""

    late = _LateShell()

    @property
    def shell_channel(self) -> Any:
        return self.late

    @property
    def iopub_channel(self) -> Any:
        return _TalkativeIOPub()

    def kernel_info(self) -> str:
        msg_id = f"request-{self.late.sent}"
        self.late.sent += 1
        self.late.pending.append(msg_id)
        return msg_id

    async def _async_is_alive(self) -> bool:
        return True

    def _handle_kernel_info_reply(self, msg: dict[str, Any]) -> None:
        self.answered = msg["parent_header"]["msg_id"]


def test_a_late_reply_to_an_earlier_request_makes_the_kernel_ready() -> None:
    """A reply that comes one request late is still the kernel's answer; waiting only
    for the newest request kept the client one reply behind until the deadline."""
    client = _SlowStartClient()
    client.late = _LateShell()
    asyncio.run(client.wait_for_ready(timeout=3))
    assert client.answered == "request-0"
