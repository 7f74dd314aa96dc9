"""Campaign ids, their history and their shard records, kept in the results store.

DESIGN.md "Results, queue, publishing": each campaign has an id and keeps its
own records, so two campaigns can be compared (``submissions.campaign.campaign_drift``).
Layout beside the leaderboard's ``records/`` (which the leaderboard alone
reads, so nothing here is counted twice)::

    campaigns/<id>/campaign.json                  the log: plan, times, versions, machines, tasks
    campaigns/<id>/shards/<submission>/<track>-<profile>-<k>of<n>-<digest12>.json / .parquet
    campaigns/<id>/records/<submission>/<track>/<profile>/<split>.json    merged, per campaign

A shard record is keyed by (submission, image digest, track, shard, profile,
campaign) and written with an atomic replace as soon as the shard comes back,
so a campaign killed at any moment resumes with exactly what is missing
(``challenge admin campaign --resume ID``) and a shard run twice replaces its
own record. The merged record of a (submission, track) also replaces the
leaderboard's record under ``records/`` when it is *accepted*: a verdict on the
codec, not a platform fault (``evaluator_error``).
"""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd

from evaluator.core.versions import CONTRACT_VERSION, EVALUATOR_VERSION, PLATFORM_VERSION
from evaluator.results.records import Failure, ResultRecord, ResultStore, atomic_write, safe_component, utcnow
from evaluator.sandbox.profiles import machine_fingerprint
from evaluator.sdk.errors import BadInput
from submissions.evaluation.evaluation_task import TASK_ERROR_KIND, EvaluationTask, TaskResult

CAMPAIGNS_DIR = "campaigns"


class UnknownCampaign(BadInput, KeyError):
    """No campaign with that id in the store."""


def new_campaign_id() -> str:
    """A sortable, unique id: ``c-20261201T120000Z-1a2b3c``."""
    return f"c-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def code_version() -> str:
    """The platform version plus the git commit of this checkout (when it is one)."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return PLATFORM_VERSION
    return f"{PLATFORM_VERSION}+g{out}{'.dirty' if dirty else ''}"


def versions() -> dict[str, str]:
    return {"code": code_version(), "platform": PLATFORM_VERSION, "contract": CONTRACT_VERSION,
            "evaluator": EVALUATOR_VERSION}


def image_digests(tasks: list[EvaluationTask]) -> dict[str, str]:
    """Image reference -> digest of the frozen identities the tasks carry (kept in the log for its readers)."""
    return {t.image.ref or t.image.run_ref: t.image.digest for t in tasks}


def _plan(tasks: list[EvaluationTask]) -> dict[str, Any]:
    return {
        "profiles": sorted({t.profile for t in tasks}),
        "data": sorted({t.data_spec for t in tasks}),
        "splits": sorted({t.split_label for t in tasks}),
        "tracks": sorted({t.track for t in tasks}),
        "submissions": list(dict.fromkeys(t.submission for t in tasks)),
        "shards": max((t.shard_count for t in tasks), default=0),
        "tasks": len(tasks),
    }


@dataclass
class CampaignLog:
    """What ``campaigns/<id>/campaign.json`` holds."""

    id: str
    started_at: str
    plan: dict[str, Any]
    versions: dict[str, str]
    tasks: list[dict[str, Any]]  # every EvaluationTask, as sent (resume re-runs these, not a new plan)
    digests: dict[str, str]  # image reference -> image id (the shard key's digest)
    scheduler: str = ""
    finished_at: str | None = None
    machines: list[dict[str, Any]] = field(default_factory=list)  # distinct machine fingerprints
    counts: dict[str, int] = field(default_factory=dict)  # tasks_done, tasks_failed, records, ...
    resumed_at: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "finished" if self.finished_at else "unfinished"

    def campaign_tasks(self) -> list[EvaluationTask]:
        return [EvaluationTask.from_json(t, self.digests) for t in self.tasks]

    @classmethod
    def start(cls, tasks: list[EvaluationTask], campaign_id: str | None = None) -> CampaignLog:
        return cls(id=campaign_id or new_campaign_id(), started_at=utcnow(), plan=_plan(tasks), versions=versions(),
                   tasks=[dataclasses.asdict(t) for t in tasks], digests=image_digests(tasks))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CampaignLog:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _accepted(record: ResultRecord) -> bool:
    """A verdict on the codec (ok, or a codec failure), not a platform fault: it may go on the board."""
    return record.failure is None or record.failure.kind != TASK_ERROR_KIND


class CampaignArchive:
    """One campaign's files in the store at ``url`` (any fsspec URL)."""

    def __init__(self, url: str, log: CampaignLog) -> None:
        self.url = url.rstrip("/")
        self.log = log
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.dir = f"{root.rstrip('/')}/{CAMPAIGNS_DIR}/{safe_component(log.id)}"
        self.records = ResultStore(f"{self.url}/{CAMPAIGNS_DIR}/{safe_component(log.id)}")

    # -- files ---------------------------------------------------------------

    def put(self, path: str, data: bytes) -> None:
        atomic_write(self.fs, path, data)

    def save_log(self) -> None:
        self.put(f"{self.dir}/campaign.json", json.dumps(dataclasses.asdict(self.log), indent=2,
                                                          sort_keys=True, default=str).encode())

    # -- shards --------------------------------------------------------------

    def shard_key(self, task: EvaluationTask) -> str:
        digest = task.image.digest.split(":")[-1][:12]
        name = f"{task.track}-{task.profile}-{task.shard_index}of{task.shard_count}-{digest}"
        return f"{safe_component(task.submission)}/{safe_component(name)}"

    def _shard_path(self, task: EvaluationTask, suffix: str) -> str:
        return f"{self.dir}/shards/{self.shard_key(task)}{suffix}"

    def save_shard(self, res: TaskResult) -> None:
        """Keep one shard's result (rows first, then the JSON that makes it visible)."""
        buf = io.BytesIO()
        res.rows.to_parquet(buf, index=False)
        self.put(self._shard_path(res.task, ".parquet"), buf.getvalue())
        doc = {
            "campaign": self.log.id, "key": self.shard_key(res.task), "task": dataclasses.asdict(res.task),
            "record": json.loads(res.record.to_json()) if res.record is not None else None,
            "error": dataclasses.asdict(res.error) if res.error is not None else None,
            "wall_s": res.wall_s, "worker": res.worker, "empty": res.empty, "saved_at": utcnow(),
        }
        self.put(self._shard_path(res.task, ".json"), json.dumps(doc, sort_keys=True, default=str).encode())

    def load_shard(self, task: EvaluationTask) -> TaskResult | None:
        """The kept result of ``task``, or None when it has none yet."""
        path = self._shard_path(task, ".json")
        if not self.fs.exists(path):
            return None
        doc = json.loads(self.fs.cat_file(path))
        with self.fs.open(self._shard_path(task, ".parquet"), "rb") as fh:
            rows = pd.read_parquet(fh)
        record = ResultRecord.from_dict(doc["record"]) if doc.get("record") else None
        error = Failure(**doc["error"]) if doc.get("error") else None
        return TaskResult(task, rows, record, error=error, wall_s=float(doc.get("wall_s") or 0.0),
                           worker=str(doc.get("worker") or ""), empty=bool(doc.get("empty")))

    def finished_shards(self, tasks: list[EvaluationTask]) -> dict[str, TaskResult]:
        """Task key -> kept result, for shards that ran to a verdict (a platform fault is run again)."""
        out = {}
        for t in tasks:
            res = self.load_shard(t)
            if res is None or (res.record is None and not res.empty):
                continue
            if res.failure is not None and res.failure.kind == TASK_ERROR_KIND:
                continue
            out[t.key] = res
        return out

    # -- merged records ------------------------------------------------------

    def publish(self, record: ResultRecord, rows: pd.DataFrame, board: ResultStore) -> str:
        """Keep the merged record in the campaign; put it on the board when accepted. The board key."""
        record.campaign = self.log.id
        self.records.write(record, rows)
        if _accepted(record):
            board.write(record, rows)
        return record.key

    def finish(self, *, scheduler: str, counts: dict[str, int], shard_results: list[TaskResult]) -> None:
        machines = {json.dumps(machine_fingerprint(r.record.fingerprint_json()), sort_keys=True, default=str)
                    for r in shard_results if r.record is not None and r.record.fingerprint is not None}
        known = {json.dumps(m, sort_keys=True, default=str) for m in self.log.machines}
        self.log.machines = [json.loads(m) for m in sorted(known | machines)]
        self.log.scheduler = scheduler
        self.log.counts = counts
        self.log.finished_at = utcnow()
        self.save_log()


def load_campaign(url: str, campaign_id: str) -> CampaignArchive:
    """The archive of campaign ``campaign_id`` in the store at ``url``; ``UnknownCampaign`` otherwise."""
    fs, root = fsspec.core.url_to_fs(url.rstrip("/"))
    path = f"{root.rstrip('/')}/{CAMPAIGNS_DIR}/{safe_component(campaign_id)}/campaign.json"
    if not fs.exists(path):
        known = ", ".join(c.id for c in list_campaigns(url)[-5:]) or "none"
        raise UnknownCampaign(f"no campaign {campaign_id!r} in {url} (latest: {known}); "
                              "`challenge admin campaigns` lists them")
    return CampaignArchive(url, CampaignLog.from_dict(json.loads(fs.cat_file(path))))


def list_campaigns(url: str) -> list[CampaignLog]:
    """Every campaign in the store, oldest first (ids sort by start time)."""
    fs, root = fsspec.core.url_to_fs(url.rstrip("/"))
    base = f"{root.rstrip('/')}/{CAMPAIGNS_DIR}"
    if not fs.exists(base):
        return []
    out = []
    for path in sorted(fs.glob(f"{base}/*/campaign.json")):
        try:
            out.append(CampaignLog.from_dict(json.loads(fs.cat_file(path))))
        except (ValueError, TypeError):
            continue  # a foreign or damaged file: the others still list
    return sorted(out, key=lambda c: (c.started_at, c.id))
