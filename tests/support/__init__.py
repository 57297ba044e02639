"""What the tests, the benchmarks and the sample script share.

- ``paths``: the repository's folders (fixtures, sample downloads).
- ``downloads``: the one writer of fake downloads, as Meta writes them
  (every string mojibake, part files, profile files).
- ``generate``: large seeded downloads of any size, through ``downloads``
  (``python -m tests.support.generate``).
- ``cli``: run the chatkeep command on an archive, read its rows.
- ``markup``, ``exports``, ``searching``, ``reader``: the small archives and
  helpers several test files build on; ``pictures``: picture bombs.
- ``mutation``: plant known bugs and see whether the tests notice
  (``python -m tests.support.mutation``).

Test files import from here, never from ``conftest`` or another test file;
conftest files hold only fixtures.
"""
