"""In-process httpx transport: ``httpx.Client(transport=SandboxTransport(sandbox), base_url=...)``."""

from __future__ import annotations

import httpx

from syncd.sandbox.core import Sandbox
from syncd.sandbox.gateway import answer


class SandboxTransport(httpx.BaseTransport):
    """Routes requests into :func:`~syncd.sandbox.gateway.answer`; turns faults into httpx transport errors.

    ``drop``: the write is applied, then :class:`httpx.RemoteProtocolError` is raised (the server
    closed the connection without a response). ``hang``: :class:`httpx.ReadTimeout` at once (no
    real waiting), applied first only if the fault says ``apply=True``.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        query = dict(request.url.params.multi_items())
        headers = dict(request.headers.items())
        response = answer(
            self.sandbox, request.method, request.url.path, query=query, headers=headers, body=body
        )
        if response.fault == "drop":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if response.fault == "hang":
            raise httpx.ReadTimeout("The read operation timed out (sandbox hang fault)", request=request)
        return httpx.Response(
            response.status, headers=response.headers, content=response.body, request=request
        )
