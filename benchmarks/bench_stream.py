"""What reading a thread file by streaming costs, and what its odd-number pass adds.

A thread file over 8 MB (``jsonstream.WHOLE_LIMIT``) is streamed by ijson.
ijson refuses NaN, Infinity, 1e400 and integers past 63 bits, so the bytes
pass through ``OddNumberStream`` on their way, which looks for such numbers at
C speed and rewrites the chunks that hold one. This prints CPU milliseconds
per MB, the median of ``--repeat`` rounds, for one generated Meta-like thread
file (mojibake text, photos whose file names hold 19-digit runs):

- the depth guard alone, then with the odd-number pass on top (their
  difference is what the pass costs on a file without odd numbers);
- ijson's events over the guard (the floor of the streamed reader);
- ``iter_object`` streamed, as an import reads such a file;
- the same with an odd number in one message in 100 (those chunks are
  walked token by token);
- ``iter_object`` reading the file whole with msgspec, for comparison.

    python -m benchmarks.bench_stream [--messages 120000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import ijson

from archiver.ingest import jsonstream
from archiver.ingest.jsonstream import guard, odd_numbers
from tests.support.downloads import meta_json


def thread_file(messages: int, odd_every: int = 0) -> bytes:
    """A Meta DYI part file's bytes, one line; with ``odd_every``, a message in
    that many holds ``"score": NaN``."""
    items = []
    for i in range(messages):
        m: dict = {"sender_name": "Ana María", "timestamp_ms": 1_600_000_000_000 + i * 1000,
                   "content": f"message {i}: café \"quoted\" and a few more words ❤️",
                   "is_geoblocked_for_viewer": False}
        if i % 5 == 0:
            m["photos"] = [{"uri": "messages/inbox/ana_123/photos/"
                                   f"448765567_1012468233575166_8474003212167347286_n_{i}.jpg",
                            "creation_timestamp": 1_600_000_000}]
        if i % 7 == 0:
            m["reactions"] = [{"reaction": "❤", "actor": "Jordan Lee"}]
        if odd_every and i % odd_every == 0:
            m["score"] = "@ODD@"
        items.append(m)
    data = {"participants": [{"name": "Ana María"}, {"name": "Jordan Lee"}],
            "messages": items, "title": "Ana María"}
    return meta_json(data).replace('"@ODD@"', "NaN").encode()


def drain(f: object) -> None:
    read = f.read  # type: ignore[attr-defined]
    while read(jsonstream.STREAM_BUFFER):
        pass


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    plain = thread_file(args.messages)
    odd = thread_file(args.messages, odd_every=100)
    mb = len(plain) / 1e6
    print(f"one thread file of {args.messages:,} messages, {mb:.1f} MB "
          f"({len(odd) / 1e6:.1f} MB with odd numbers); CPU ms per MB, "
          f"median of {args.repeat}")

    def streamed(data: bytes) -> Callable[[], object]:
        return lambda: sum(1 for _ in jsonstream.iter_object(
            io.BytesIO(data), "messages", len(data), whole_limit=0))

    rows = [
        ("depth guard", lambda: drain(guard.DepthGuard(io.BytesIO(plain)))),
        ("depth guard + odd-number pass", lambda: drain(
            odd_numbers.OddNumberStream(guard.DepthGuard(io.BytesIO(plain))))),
        ("ijson events over the guard (floor)", lambda: sum(1 for _ in ijson.parse(
            guard.DepthGuard(io.BytesIO(plain)), use_float=True,
            buf_size=jsonstream.STREAM_BUFFER))),
        ("iter_object streamed", streamed(plain)),
        ("iter_object streamed, NaN in 1 message in 100", streamed(odd)),
        ("iter_object read whole (msgspec)", lambda: sum(1 for _ in jsonstream.iter_object(
            io.BytesIO(plain), "messages", len(plain), whole_limit=len(plain)))),
    ]
    for label, work in rows:
        print(f"  {label:<48} {cpu_ms(work, args.repeat) / mb:7.1f} ms/MB", flush=True)


if __name__ == "__main__":
    main()
