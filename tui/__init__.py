"""chatkeep's terminal reader, a Textual face on the ``archiver`` engine."""
