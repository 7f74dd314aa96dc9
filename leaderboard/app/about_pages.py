"""The board's About, How to submit, Rules and Citation pages (issue 23, item 5).

Markdown built from the project's own tables wherever a fact lives in one: the
tracks (``evaluator.core.tracks.TRACKS``), the headline metric
(``evaluator.core.schema.METRICS``), the badges (``leaderboard.views.cells.BADGE_HELP``, drawn
by ``badge``), the hardware profiles and their limits (``evaluator.sandbox.profiles.PROFILES``),
the daily submission limit (``submissions.queue.limits``) and the paper's BibTeX
(``leaderboard.publish.dataset_card.PAPER_BIBTEX``, which the results dataset's card cites
too). Our text only: no participant string reaches these pages; they are
sanitized all the same, like every Markdown component of the board.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from evaluator.core.schema import METRICS
from evaluator.core.tracks import ERROR_BOUNDS, TRACKS
from evaluator.sandbox.profiles import PROFILES, GiB, MiB, Profile
from leaderboard.publish.dataset_card import PAPER_BIBTEX
from leaderboard.views.cells import BADGE_HELP, badge
from submissions.queue.limits import DEFAULT_PER_DAY, WINDOW_S

HEADLINE = METRICS["ratio_mean"]
PAPER_URL = "https://arxiv.org/abs/2506.08306"
# What a run takes on the synthetic default, measured for the README (2026-12-01, 2-core machine, cpu-1):
# the five classical baselines on all ten tracks in ~4 min, a small neural codec ~5 s per frame each way.
RUN_TIME_NOTE = ("A run takes what your codec takes: every item of every track is encoded and decoded once, "
                 "in a fresh container per track, plus image start-up. For scale, the five classical "
                 "baselines (JPEG-XL max and default, JPEG-LS, JPEG-2000, RICE) need about 4 minutes together "
                 "for all ten tracks "
                 "of the synthetic default on `cpu-1`; our small neural baselines about 5 s per frame each way. "
                 "Runs wait their turn in the queue; the pull request says when yours starts and ends.")


def tracks_markdown() -> str:
    lines = ["| Track | Title | Dataset | Item | In the paper's Table 1 |", "|---|---|---|---|---|"]
    for name, t in TRACKS.items():
        in_paper = "yes" if t.paper else "no"
        lines.append(f"| `{name}` | {t.title} | `AstroCompress/{t.dataset}` | {t.item} | {in_paper} |")
    bounds = ", ".join(f"`<track>{b.suffix}` ({b.label})" for b in ERROR_BOUNDS)
    lines.append(f"\nEach paper track also has near-lossless variants ({bounds}): every pixel within the bound, "
                 "checked in exact integer arithmetic. They are not lossless results: the **Near-lossless** tab "
                 "shows them, one ranking per bound.")
    return "\n".join(lines)


def _mib(n: int) -> str:
    return f"{n / GiB:g} GiB" if n >= GiB else f"{n / MiB:g} MiB"


def profile_line(p: Profile) -> str:
    """One row of the limits table: what the codec container of profile ``p`` is granted."""
    gpus = f"{p.gpus}" if p.gpus else "none"
    return (f"| `{p.name}` | {p.cores} | {_mib(p.memory_bytes)} | {gpus} | {p.startup_timeout_s:g} s | "
            f"{p.request_base_s:g} s + {p.request_s_per_mpix:g} s per megapixel | "
            f"max({_mib(p.output_cap_min_bytes)}, {p.output_cap_factor} x raw item) | {p.pids_limit} |")


def limits_markdown() -> str:
    head = ["| Profile | Cores | Memory | GPUs | Start-up timeout | Timeout per encode or decode request | "
            "Largest output | Processes |", "|---|---|---|---|---|---|---|---|"]
    return "\n".join(head + [profile_line(p) for p in PROFILES.values()])


def badges_markdown() -> str:
    return "\n".join(f"- {badge(kind, 'not portable (env)' if kind == 'not-portable' else None)} {text}."
                     for kind, text in BADGE_HELP.items())


ABOUT_MD = f"""
## About the challenge

The AstroCompress Challenge measures **lossless compression of raw 16-bit astronomical images**, the task of the
AstroCompress paper (Truong, Sudharsan et al., ICLR 2025, [arXiv:2506.08306]({PAPER_URL})). A participant sends a
codec as a Docker image; the organizers run it offline in a sandbox on test images (public and hidden splits),
decode every bitstream and compare it with the original bit for bit, and publish the size, speed and cost of each
codec beside the paper's numbers. Anyone can take part: see *How to submit*.

### Tracks

{tracks_markdown()}

### Headline metric

**{HEADLINE.label}** (`{HEADLINE.name}`): the {HEADLINE.doc}; higher is better.
Ranks compare rows measured on the same data only; an interval is a bootstrap over the test items,
and the line beside a rank column states how ranks are decided.

### Badges

{badges_markdown()}

### What *portable* and *estimate* mean

- *portable*: after the round trip, a sample of the bitstreams is decoded again in fresh decoder containers, one
  per environment, each changing one thing that can change floating-point results: PyTorch's default kernels
  (`ATEN_CPU_CAPABILITY=default`), MKL's compatible branch (`MKL_CBWR=COMPATIBLE`), oneDNN at SSE4.1
  (`ONEDNN_MAX_CPU_ISA=SSE41`), numpy without AVX2 and AVX-512, another thread count. A codec whose decoder gives
  different bits there is marked *not portable* with the environments named, shown and not ranked: its files
  might not decode on another machine. Only these environments are checked.
- *estimate*: a likelihood bound (the paper's VDM, and ours), the bits a model would need, not a working codec: no
  bitstream was written or decoded. Shown beside the codecs for reference, never ranked.
""".strip()

SUBMIT_MD = f"""
## How to submit

```bash
pip install -e .                       # in a clone of the challenge's repository: the `challenge` command
challenge init ./my_codec              # a codec folder: --lang python (default), c, shell or torch
challenge build ./my_codec             # offline build on the challenge's base image
challenge test ./my_codec --track all  # the organizers' sandboxed evaluator, on the synthetic data
hf auth login                          # your Hugging Face account is your identity
challenge submit ./my_codec --to hf://datasets/ORG/NAME
```

`challenge test` prints your ratio, bits per pixel and speed per track beside the baselines' numbers, or the reason
a track failed. `challenge submit` checks the codec on one item per track first, then opens a pull request from your
Hub account on the organizers' inbox dataset; the service answers there: queued, then finished with your scores,
or failed with the reason.

### What is private, what is public

- **Private: your image.** `challenge submit` encrypts the image archive for the organizers' key
  ([age](https://age-encryption.org) format), so only they can read it, and the service **deletes** the encrypted
  file from the repository after ingest and says so on the pull request.
- **Public: your Hub account name** (the participant on the board), **the pull request** (title, comments, answers),
  **the request metadata** (the codec name, your whole `codec.toml`, the tracks, the SHA-256 of the unencrypted
  archive) and **your scores** and failure reasons once evaluated (never the logs of runs on hidden data).

### Limits per hardware profile

Your `codec.toml` names the profile (`cpu-1` by default, as the paper's single-thread timings). No network in any.

{limits_markdown()}

A request that runs past its timeout, a process past its memory or an output past its cap fails that item with the
reason. Submissions: **{DEFAULT_PER_DAY} per participant per {WINDOW_S / 3600:g} hours** (rolling window; the
organizers may set another number); between them, test locally with `challenge test`.

### How long a run takes

{RUN_TIME_NOTE}
""".strip()

RULES_MD = """
## Rules

- **Lossless, bit-exact.** Every decoded image must equal the original in shape, dtype and every bit; one mismatch
  fails the track.
- **Hidden splits.** Ranked results come from test splits that participants never see: they are never uploaded,
  never mounted into a decoder, and the logs of runs on them are never shown. Public and synthetic data are for
  testing your codec.
- **The image size counts.** The compressed size of your codec image is recorded and shown beside your ratio: a
  codec could carry data inside itself.
- **One account per participant.** Your Hugging Face account is your identity; do not spread submissions over
  several accounts (the daily limit is per participant).
- **The digest is frozen at submission.** The image digest is fixed when the submission is queued; every run,
  hidden splits included, uses exactly that image.
- Runtimes compare only within one hardware profile and machine; rows on different data are never ranked together.
""".strip()

CITATION_MD = f"""
## Citation

The tracks, the metric and the reference numbers come from the AstroCompress paper. If you use the challenge or its
results, please cite it ([arXiv:2506.08306]({PAPER_URL})):

```bibtex
{PAPER_BIBTEX}
```
""".strip()


@dataclass(frozen=True)
class AboutPage:
    id: str  # the tab's id; its element id is ``tab-<id>``
    title: str
    text: str


ABOUT_PAGES: tuple[AboutPage, ...] = (
    AboutPage("about", "About", ABOUT_MD),
    AboutPage("submit", "How to submit", SUBMIT_MD),
    AboutPage("rules", "Rules", RULES_MD),
    AboutPage("citation", "Citation", CITATION_MD),
)


def about_tabs() -> list[gr.Tab]:
    """The four pages as tabs, created inside the caller's ``gr.Tabs()``."""
    tabs: list[gr.Tab] = []
    for page in ABOUT_PAGES:
        with gr.Tab(page.title, id=page.id, elem_id=f"tab-{page.id}") as tab:
            # sanitized like every Markdown on the board, though these texts are our own constants
            gr.Markdown(page.text, elem_id=f"{page.id}-text")
        tabs.append(tab)
    return tabs
