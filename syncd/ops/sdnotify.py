"""The systemd notify protocol, written out: one datagram to ``$NOTIFY_SOCKET`` per message.

The protocol is small enough that a dependency (``sdnotify``, ``systemd-python`` with
libsystemd) buys nothing (daemon-ops §5.4). A leading ``@`` in the socket name means the Linux
abstract namespace. Without ``NOTIFY_SOCKET`` (not under systemd, or ``Type=simple``) every
call is a no-op, so the daemon calls these unconditionally.

Ping :meth:`SystemdNotifier.watchdog` from the scheduler's heartbeat, not from a free-running
thread: a thread would keep systemd happy while the scheduler is stuck.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from syncd.logging import get_logger

log = get_logger(__name__)


class SystemdNotifier:
    """Sends ``READY=1``, ``STATUS=…``, ``WATCHDOG=1`` and ``STOPPING=1`` to systemd.

    Sending never raises: a failed notification is logged and reported as ``False``, because
    losing a status line must not stop reconciliation (a lost watchdog ping shows up anyway).
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self._address: str | None = None
        if raw.startswith("@"):
            self._address = "\0" + raw[1:]
        elif raw.startswith("/"):
            self._address = raw
        elif raw:
            log.warning("sdnotify.bad_socket", notify_socket=raw, hint="expected an absolute path or @name")
        self._watchdog_usec = env.get("WATCHDOG_USEC", "")
        self._watchdog_pid = env.get("WATCHDOG_PID", "")

    @property
    def enabled(self) -> bool:
        """True when running under systemd with a notify socket."""
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True if sent, False if disabled or failed."""
        if self._address is None:
            return False
        payload = "\n".join(assignments).encode()
        try:  # a socket per message, as libsystemd does: a few a minute, and nothing to leak
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, self._address)
        except OSError as exc:
            log.warning("sdnotify.send_failed", error=str(exc), message=assignments[0] if assignments else "")
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is done (``Type=notify`` units count as started only now)."""
        return self.notify("READY=1", *([f"STATUS={_one_line(status)}"] if status else []))

    def status(self, text: str) -> bool:
        """A one-line status shown by ``systemctl status``."""
        return self.notify(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        """Tell systemd the service is alive (only when the watchdog is meant for this process)."""
        if self.watchdog_interval() is None:
            return False
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown has begun (systemd then waits up to ``TimeoutStopSec``)."""
        return self.notify("STOPPING=1", *([f"STATUS={_one_line(status)}"] if status else []))

    def watchdog_interval(self) -> float | None:
        """``WatchdogSec`` in seconds, or None when no watchdog applies to this process.

        ``WATCHDOG_PID``, when set, names the process the watchdog is for; a child that inherited
        the environment must not ping on its parent's behalf.
        """
        if not self._watchdog_usec:
            return None
        if self._watchdog_pid and self._watchdog_pid != str(os.getpid()):
            return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            log.warning("sdnotify.bad_watchdog_usec", value=self._watchdog_usec)
            return None
        return usec / 1_000_000 if usec > 0 else None

    def watchdog_period(self) -> float | None:
        """How often to ping: half the interval, as sd_watchdog_enabled(3) recommends."""
        interval = self.watchdog_interval()
        return None if interval is None else interval / 2


def _one_line(text: str) -> str:
    return " ".join(text.split())
