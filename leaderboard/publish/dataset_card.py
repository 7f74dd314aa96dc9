"""The results dataset's card (README.md): ``configs`` for ``datasets`` and the viewer, columns, citation.

Its text depends only on counts and the repository names (never on a
participant's string: nothing here can carry markup into the Hub's page), so
an unchanged store gives the same card and publish commits nothing. The
column descriptions come from :mod:`leaderboard.data.table_columns`, the table
that also defines the Parquet schema.
"""

from __future__ import annotations

from leaderboard.data.table_columns import (
    ITEM_TABLE,
    ITEMS_TABLES_GLOB,
    RECORD_TABLE,
    RECORDS_TABLE_PATH,
    Column,
    column_docs,
)
from submissions.service.queue_snapshot import SNAPSHOT_PATH

PAPER_BIBTEX = """@inproceedings{truong2025astrocompress,
  title     = {AstroCompress: A benchmark dataset for multi-purpose compression of astronomical imagery},
  author    = {Truong, Tuan and Sudharsan, Rithwik and Yang, Yibo and Ma, Peter Xiangyuan and Yang, Ruihan and
               Mandt, Stephan and Bloom, Joshua S.},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year      = {2025},
  eprint    = {2506.08306},
  archivePrefix = {arXiv},
  url       = {https://arxiv.org/abs/2506.08306}
}"""

# One config per table: a split named "train" (track names hold hyphens, so they cannot be split names).
CONFIGS_YAML = f"""configs:
- config_name: records
  data_files:
  - split: train
    path: {RECORDS_TABLE_PATH}
  default: true
- config_name: items
  data_files:
  - split: train
    path: {ITEMS_TABLES_GLOB}"""


def _columns_markdown(columns: tuple[Column, ...]) -> str:
    lines = ["| column | type | description |", "|---|---|---|"]
    cell = "\\|"  # a pipe inside a cell (`docker save | gzip`) must not end it
    lines += [f"| `{name}` | `{kind}` | {doc.replace('|', cell)} |" for name, kind, doc in column_docs(columns)]
    return "\n".join(lines)


def dataset_card(repo_id: str, *, n_records: int, n_items: int, space_id: str | None = None) -> str:
    """README of the results dataset (``repo_id`` and ``space_id`` are checked ``ORG/NAME`` ids)."""
    space = (f"The leaderboard: [{space_id}](https://huggingface.co/spaces/{space_id}).\n\n" if space_id else "")
    return f"""---
license: mit
pretty_name: AstroCompress Challenge results
tags:
- astronomy
- lossless-compression
- leaderboard
{CONFIGS_YAML}
---

# AstroCompress Challenge results

Results of the AstroCompress lossless-compression challenge: {n_records} result records, {n_items} per-item rows.

{space}```python
from datasets import load_dataset

records = load_dataset("{repo_id}", "records", split="train")  # one row per record
items = load_dataset("{repo_id}", "items", split="train")  # one row per test item
```

Provenance: `paper` = numbers reported by Truong, Sudharsan et al., "AstroCompress: A benchmark
dataset for multi-purpose compression of astronomical imagery", ICLR 2025 (arXiv:2506.08306),
Tables 1 and 3; `verified` = measured by the challenge evaluator (bitstreams decoded and compared
bit for bit); `estimate` = a likelihood bound (VDM), not a codec. Records with `synthetic: true`
were measured on synthetic frames. Runtimes compare only within one hardware profile and
machine fingerprint (`fingerprint_id`). Rows compare within one `data` label.

## Files

- `{RECORDS_TABLE_PATH}`: the `records` table.
- `{ITEMS_TABLES_GLOB}`: the `items` table, one file per track.
- `records/<submission>/<track>/<profile>/<split>.json` with `<split>.items.parquet` beside it: the
  results store's own files (`evaluator.results.records.ResultStore("hf://datasets/{repo_id}")` reads them).
- `{SNAPSHOT_PATH}` (when the organizer publishes the queue): every submission's state, reason,
  timestamps and per-track scores, never logs of hidden-data runs; `challenge status --from
  hf://datasets/{repo_id}` prints it.

## `records` columns

{_columns_markdown(RECORD_TABLE)}

## `items` columns

{_columns_markdown(ITEM_TABLE)}

## Citation

```bibtex
{PAPER_BIBTEX}
```
"""
