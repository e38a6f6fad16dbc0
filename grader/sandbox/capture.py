"""What a child prints: read from a pipe by the judge, kept as head and tail.

A child's stdout and stderr are the write end of a pipe; the judge drains the read
end while it waits for an answer. Only the first and last bytes are kept, with the
count of those dropped in between, so a submission that prints megabytes costs the
judge a few reads and fails nothing (a file would hit the file-size limit instead).
"""

from __future__ import annotations

import contextlib
import os

from grader import settings

_READ_BYTES = 1 << 20


class OutputCapture:
    """The judge's end of one child's output pipe."""

    def __init__(
        self,
        fd: int,
        *,
        head_bytes: int = settings.OUTPUT_HEAD_BYTES,
        tail_bytes: int = settings.OUTPUT_TAIL_BYTES,
    ) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self.head_bytes = head_bytes
        self.tail_bytes = tail_bytes
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.ended = False

    @classmethod
    def pipe(cls) -> tuple[OutputCapture, int]:
        """A capture and the write end to hand to the child (the caller closes it after)."""
        read_end, write_end = os.pipe()
        return cls(read_end), write_end

    def fileno(self) -> int:
        return self.fd

    def drain(self) -> None:
        """Read whatever is in the pipe now, without waiting for more."""
        while not self.ended:
            try:
                chunk = os.read(self.fd, _READ_BYTES)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.ended = True
                return
            self._keep(chunk)

    def _keep(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_bytes - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_bytes:
                del self.tail[: len(self.tail) - self.tail_bytes]

    def restart(self) -> None:
        """Keep from here on only: what was printed before is another reader's."""
        self.drain()
        self.head.clear()
        self.tail.clear()
        self.total = 0

    @property
    def dropped(self) -> int:
        return self.total - len(self.head) - len(self.tail)

    def text(self) -> str:
        """Head and tail as text, with the count of bytes dropped between them."""
        self.drain()
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if not self.dropped:
            return head + tail
        return f"{head}\n… {self.dropped:,} bytes of output not kept …\n{tail}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.ended = True
