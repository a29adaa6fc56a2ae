"""What a hostile reply costs the grader's decoder: seconds and peak memory per reply.

Each bomb is a frame a child could send instead of an honest reply. Every bomb is
decoded in a fresh process (so that peak memory is the bomb's own) by the codec
of this checkout and, with ``--against REV``, by the codec of another git revision
measured in the same run::

    python bench/bench_decoder_bombs.py --against 45d2afa

Prints one row per bomb: outcome, seconds and peak resident memory (MB) of the
decoding process, for each codec.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _frame(tree, buffers: list[bytes]) -> bytes:
    header = json.dumps({"tree": tree, "sizes": [len(b) for b in buffers]}).encode()
    return struct.pack("<I", len(header)) + header + b"".join(buffers)


def _array_buffer(nbytes: int) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(nbytes, dtype=np.uint8), allow_pickle=False)
    return buf.getvalue()


BOMBS = {
    "1 MiB buffer referenced 2,500 times": lambda: _frame(
        {"t": "list", "v": [{"t": "nd", "b": 0}] * 2500}, [_array_buffer(1 << 20)]
    ),
    "1,999,000 tiny nodes (empty lists)": lambda: _frame(
        {"t": "list", "v": [{"t": "list", "v": []}] * 1_999_000}, []
    ),
    "1,999,000 tiny nodes (ints in a set)": lambda: _frame(
        {"t": "set", "v": list(range(1_999_000))}, []
    ),
    "integer of 5,000 digits": lambda: _frame({"t": "bigint", "v": "9" * 5000}, []),
    "dict with an unhashable key": lambda: _frame(
        {"t": "dict", "v": [[{"t": "list", "v": []}, 1]]}, []
    ),
}

CHILD = """
import importlib.util, json, pickle, resource, sys, time
spec = importlib.util.spec_from_file_location("codec_under_test", sys.argv[1])
codec = importlib.util.module_from_spec(spec)
sys.modules["codec_under_test"] = codec
spec.loader.exec_module(codec)
payload = open(sys.argv[2], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    codec.decode_message(payload, lambda node: None)
    outcome = "accepted"
except codec.CodecError as exc:
    outcome = "CodecError"
except BaseException as exc:
    outcome = type(exc).__name__ + " (crash)"
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "mb": (peak - base) / 1024}))
"""


def measure(codec_file: Path, payload_file: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(codec_file), str(payload_file)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"outcome": f"process died ({out.returncode})", "seconds": float("nan"), "mb": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision whose codec to measure as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        codecs = {"this checkout": REPO / "autograder" / "codec.py"}
        if args.against:
            old = Path(tmp) / "old_codec.py"
            old.write_bytes(
                subprocess.run(
                    ["git", "-C", str(REPO), "show", f"{args.against}:autograder/codec.py"],
                    capture_output=True,
                    check=True,
                ).stdout
            )
            codecs = {args.against: old, **codecs}
        for name, make in BOMBS.items():
            payload = Path(tmp) / "payload"
            started = time.perf_counter()
            payload.write_bytes(make())
            size = payload.stat().st_size
            built = time.perf_counter() - started
            print(f"{name} ({size / 1e6:.1f} MB frame, built in {built:.1f} s)")
            for label, codec_file in codecs.items():
                r = measure(codec_file, payload)
                print(
                    f"    {label:>14}: {r['outcome']:<28} {r['seconds']:7.2f} s  {r['mb']:8.0f} MB"
                )


if __name__ == "__main__":
    main()
