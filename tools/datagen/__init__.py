"""Parts of the course's data generator (`tools/make_data.py`).

- `names`: name lists of many cultures and kinds, split into train / validation / test parts.
- `sentiment`, `ner`, `qa`: one generator per task.
- `card`: the data card (`data/README.md`), with every number computed from the generated data.

Everything here uses only the standard library and explicit `random.Random` instances, so a run is
byte-for-byte reproducible and takes a few seconds.
"""
