"""The round trip of one item through an encoder and a decoder container, and its result.

Data flow: the item's ``.npy`` is written to the encoder's host *in* folder
(``/work/in``, read-only inside); the bitstream comes back through the
encoder's ``/work/out``, is read once into memory (``evaluator.sandbox.verify``) and
written to the decoder's *in* folder, which never holds an original. The
decoded ``.npy`` is checked against the evaluator's own copy of the item, bit
for bit, or on a near-lossless track against its bound (every pixel within
``max_abs_error`` ADU, in exact integer arithmetic; the bound travels in the
encode request only: the bitstream must say all the decoder needs). Each
request's timeout and output cap scale with the original item (its pixels, its
raw bytes); both folders are emptied after every request. The encoder's answer may
carry its own report of the bitstream (``CodecReport``: coding NLL, side bits); it is
checked as hostile input and travels with the round trip, never verified or ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from evaluator.sandbox.container import CodecContainer
from evaluator.sandbox.protocol import Answer, CodecReport
from evaluator.sandbox.verify import check_bound, check_output_folder, load_decoded, read_output
from evaluator.sandbox.workspace import Workspace

ENCODE_FILES: Final = (".npy", ".bin")  # suffixes of the request's input and output files
DECODE_FILES: Final = (".bin", ".npy")


@dataclass
class RoundTrip:
    bitstream: bytes | bytearray  # exactly the bytes counted and handed to the decoder
    encode_s: float
    decode_s: float
    decoded: np.ndarray | None = None  # near-lossless only: the decoded array (for the error statistics)
    report: CodecReport = CodecReport()  # what the encoder said of its bitstream (coding NLL, side bits), checked


def exchange(container: CodecContainer, rid: str, files: tuple[str, str], payload: bytes | bytearray | np.ndarray,
             original: np.ndarray, max_abs_error: int = 0) -> tuple[bytes | bytearray, Answer]:
    """One request: write the input, ask, check the output folder, read the output once, clear both; the output
    and the answer (its report checked against the output's size)."""
    profile = container.profile
    in_name, out_name = f"{rid}{files[0]}", f"{rid}{files[1]}"
    Workspace.write_input(container.in_dir, in_name, payload)
    try:
        answer = container.request(rid, in_name, out_name, profile.request_timeout(original.size),
                                   max_abs_error=max_abs_error)
        check_output_folder(container.out_dir, out_name, container.who)
        data = read_output(container.out_dir, out_name, profile.output_cap(original.nbytes), container.who)
        answer.report.check_size(len(data), container.who)
    finally:
        Workspace.clear(container.in_dir)
        Workspace.clear(container.out_dir)
    return data, answer


def encode_item(encoder: CodecContainer, rid: str, array: np.ndarray,
                max_abs_error: int = 0) -> tuple[bytes | bytearray, float]:
    """The bitstream of ``array`` (within ``max_abs_error`` ADU; 0: lossless) and the encode seconds."""
    data, answer = exchange(encoder, rid, ENCODE_FILES, array, array, max_abs_error)
    return data, answer.seconds


def decode_checked(decoder: CodecContainer, rid: str, bitstream: bytes | bytearray, original: np.ndarray,
                   max_abs_error: int = 0) -> tuple[np.ndarray, float]:
    """Decode ``bitstream``, check it against ``original`` within ``max_abs_error`` (0: every bit); the array
    and the decode seconds."""
    data, answer = exchange(decoder, rid, DECODE_FILES, bitstream, original)
    decoded = load_decoded(data, original)
    check_bound(decoded, original, max_abs_error)
    return decoded, answer.seconds


def decode_item(decoder: CodecContainer, rid: str, bitstream: bytes | bytearray, original: np.ndarray) -> float:
    """Decode ``bitstream``, check it equals ``original`` (shape, dtype, every bit); the decode seconds."""
    return decode_checked(decoder, rid, bitstream, original)[1]


def round_trip(encoder: CodecContainer, decoder: CodecContainer, rid: str, array: np.ndarray,
               max_abs_error: int = 0) -> RoundTrip:
    """Encode ``array``, hand exactly the counted bytes to the decoder, check the result (within the bound)."""
    bitstream, answer = exchange(encoder, rid, ENCODE_FILES, array, array, max_abs_error)
    decoded, dec_s = decode_checked(decoder, rid, bitstream, array, max_abs_error)
    return RoundTrip(bitstream, answer.seconds, dec_s, decoded.copy() if max_abs_error else None, answer.report)
