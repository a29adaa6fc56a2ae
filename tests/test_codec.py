"""The codec carries plain data both ways and rejects everything else."""

import json
import struct

import numpy as np
import pandas as pd
import pytest

from autograder import codec


def _array_bytes(arr):
    """An array's bytes as a frame carries them (its pieces, joined)."""
    return b"".join(codec._array_parts(arr))


def roundtrip(value):
    handles = []

    def to_handle(obj):
        handles.append(obj)
        return {"t": "handle", "id": len(handles)}

    frame = codec.encode_message(value, to_handle)
    return codec.decode_message(frame[8:], lambda node: ("handle", node["id"])), handles


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -(2**70),
        1.5,
        float("inf"),
        "héllo",
        [1, (2, 3)],
        {1: "a", (2, 3): [4]},
        {1, 2},
        frozenset({3}),
    ],
)
def test_plain_values_round_trip(value):
    out, handles = roundtrip(value)
    assert out == value and type(out) is type(value) and not handles


def test_nan_round_trips():
    out, _ = roundtrip(float("nan"))
    assert np.isnan(out)


def test_arrays_and_numpy_scalars_keep_dtype_and_shape():
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    out, _ = roundtrip({"a": arr, "s": np.float32(2.5), "b": np.bool_(True)})
    assert out["a"].dtype == np.int32 and out["a"].shape == (3, 4)
    assert np.array_equal(out["a"], arr)
    assert type(out["s"]) is np.float32 and out["s"] == 2.5
    assert type(out["b"]) is np.bool_


def test_dataframe_round_trips_with_strings_missing_values_and_index():
    df = pd.DataFrame(
        {"wijk": ["A", None, "C"], "kosten": [1.0, np.nan, 3.0], 5: [1, 2, 3]},
        index=pd.Index([10, 11, 12], name="id"),
    )
    out, _ = roundtrip(df)
    assert list(out.columns) == ["wijk", "kosten", 5]
    assert out.index.name == "id" and list(out.index) == [10, 11, 12]
    assert out["wijk"].isna().tolist() == [False, True, False]
    assert out["wijk"].iloc[2] == "C"
    assert np.isnan(out["kosten"].iloc[1])


def test_series_and_generator_round_trip():
    s = pd.Series([1.5, 2.5], name="x")
    out, _ = roundtrip(s)
    assert out.name == "x" and out.tolist() == [1.5, 2.5]
    gen = np.random.default_rng(7)
    gen2, _ = roundtrip(gen)
    assert np.array_equal(gen2.integers(0, 100, 5), np.random.default_rng(7).integers(0, 100, 5))


def test_other_objects_become_handles_and_subclasses_become_plain_data():
    class Rigged(str):
        def __eq__(self, other):
            return True

    obj = object()
    out, handles = roundtrip([obj, Rigged("no")])
    assert out == [("handle", 1), "no"] and handles == [obj]
    assert type(out[1]) is str
    arr, _ = roundtrip(np.zeros(2).view(type("Sub", (np.ndarray,), {})))
    assert type(arr) is np.ndarray


def test_object_arrays_are_not_sent_as_arrays():
    out, handles = roundtrip(np.array([object()], dtype=object))
    assert out == ("handle", 1)


def frame(tree, buffers=()):
    return codec.pack(tree, list(buffers))[8:]


def test_decoder_never_unpickles():
    import io
    import pickle

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(codec.CodecError):
        codec.decode_message(frame({"t": "nd", "b": 0}, [buf.getvalue()]), None)
    evil = pickle.dumps(print)
    with pytest.raises(codec.CodecError):
        codec.decode_message(frame({"t": "nd", "b": 0}, [evil]), None)


@pytest.mark.parametrize(
    "tree",
    [
        {"t": "pickle", "v": "x"},
        {"t": "nd", "b": 5},
        {"t": "dict", "v": [[1]]},
        {"t": "list", "v": "notalist"},
        {"t": "generator", "state": {"bit_generator": "os.system"}},
    ],
)
def test_decoder_rejects_malformed_trees(tree):
    with pytest.raises(codec.CodecError):
        codec.decode_message(frame(tree), lambda n: n)


def test_decoder_bounds_depth():
    tree = 1
    for _ in range(codec.MAX_DEPTH + 5):
        tree = {"t": "list", "v": [tree]}
    with pytest.raises(codec.CodecError, match="nested"):
        codec.decode_message(frame(tree), None)


def test_truncated_and_garbage_frames_are_rejected():
    with pytest.raises(codec.CodecError):
        codec.decode_message(b"\x01", None)
    with pytest.raises(codec.CodecError):
        codec.decode_message(struct.pack("<I", 5) + b"nojso", None)
    bad_sizes = json.dumps({"tree": 1, "sizes": [10**9]}).encode()
    with pytest.raises(codec.CodecError):
        codec.decode_message(struct.pack("<I", len(bad_sizes)) + bad_sizes, None)


def test_text_columns_travel_as_one_list_and_are_checked():
    df = pd.DataFrame({"wijk": ["Slotjes", "West", None] * 1000})
    out, _ = roundtrip(df)
    assert out["wijk"].iloc[0] == "Slotjes" and out["wijk"].isna().sum() == 1000
    tree = {
        "t": "df",
        "columns": {"t": "list", "v": ["a"]},
        "data": [{"t": "strcol", "v": ["x", {"t": "handle", "id": 1}]}],
        "index": {"t": "range", "v": [0, 2, 1], "name": None},
    }
    with pytest.raises(codec.CodecError, match="text column"):
        codec.decode_message(frame(tree), lambda n: n)


def test_a_buffer_referenced_twice_is_refused():
    buf = _array_bytes(np.zeros(1 << 20, dtype=np.uint8))
    tree = {"t": "list", "v": [{"t": "nd", "b": 0}] * 2500}
    with pytest.raises(codec.CodecError, match="referenced twice"):
        codec.decode_message(frame(tree, [buf]), None)


def test_nodes_are_counted_before_the_header_is_parsed(monkeypatch):
    small = codec.DecodeLimits(max_nodes=100)
    with pytest.raises(codec.CodecError, match="more than 100 parts"):
        codec.decode_message(frame({"t": "list", "v": list(range(101))}), None, small)
    assert codec.decode_message(frame({"t": "list", "v": list(range(99))}), None, small)

    def parse(_):
        raise AssertionError("the header was parsed")

    bomb = frame({"t": "list", "v": [{"t": "list", "v": []}] * 1000})
    monkeypatch.setattr(codec.json, "loads", parse)
    with pytest.raises(codec.CodecError, match="more than 100 parts"):
        codec.decode_message(bomb, None, small)


def test_frames_and_seconds_are_capped():
    limits = codec.DecodeLimits(max_bytes=10_000)
    with pytest.raises(codec.FrameTooLarge):
        codec.decode_message(frame("z" * 20_000), None, limits)
    slow = codec.DecodeLimits(seconds=0.0)
    with pytest.raises(codec.CodecError, match="to decode"):
        codec.decode_message(frame({"t": "list", "v": list(range(10_000))}), None, slow)


@pytest.mark.parametrize(
    "tree, reason",
    [
        ({"t": "dict", "v": [[{"t": "list", "v": [1]}, 2]]}, "unhashable"),
        ({"t": "set", "v": [{"t": "list", "v": []}]}, "unhashable"),
        ({"t": "bigint", "v": "9" * 5000}, "digits"),
        ({"t": "bigint", "v": "12x"}, "bad integer"),
        ({"t": "float", "v": "1e999999"}, "special float"),
        (2**70, "64 bits"),
        ({"t": "series", "name": None, "data": [], "index": {"t": "range", "v": [0, 1, 0]}}, "."),
    ],
)
def test_forged_values_are_codec_errors_not_crashes(tree, reason):
    with pytest.raises(codec.CodecError, match=reason):
        codec.decode_message(frame(tree), None)


def test_raw_json_the_parser_refuses_is_a_codec_error():
    for header in (b"[" * 100_000 + b"]" * 100_000, b"9" * 5000):
        raw = b'{"tree": ' + header + b', "sizes": []}'
        with pytest.raises(codec.CodecError, match="JSON"):
            codec.decode_message(struct.pack("<I", len(raw)) + raw, None)


def test_arrays_read_by_the_fast_header_parser_equal_numpys_own_reading():
    """The codec writes numpy's own .npy bytes (a C-ordered array without BytesIO) and
    parses the header with a pattern, not literal_eval; every array kind it sends reads
    back exactly as numpy's reader gives it, writable."""
    import io

    from autograder.codec import _fast_array, _read_array

    arrays = [
        np.zeros((300, 64)),
        np.arange(10),
        np.array(3.5),
        np.zeros((0, 5)),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.array(["ab", "c"]),
        np.array([1 + 2j]),
        np.array([True, False]),
        np.arange(6, dtype=">i4").reshape(2, 3),
        np.array(np.datetime64("2020-01-01")),
    ]
    for arr in [*arrays, np.zeros((4, 6))[:, ::2], np.zeros((3, 4))[1:]]:
        data = _array_bytes(arr)
        written = io.BytesIO()
        np.lib.format.write_array(written, arr, allow_pickle=False)
        assert data == written.getvalue(), (arr.dtype, arr.shape)  # numpy's own layout
        fast = _fast_array(data)
        assert fast is not None, arr.dtype
        ref = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        assert fast.dtype == ref.dtype and fast.shape == ref.shape and np.array_equal(fast, ref)
        assert fast.flags.writeable
    short = _array_bytes(np.zeros(4))[:-8]  # the header promises 32 bytes, 24 follow
    assert _fast_array(short) is None
    with pytest.raises(codec.CodecError, match="bad array buffer"):
        _read_array(short)


def test_a_c_ordered_array_is_written_from_its_own_memory_and_the_frame_is_unchanged():
    """An array's bytes go out as a view of the array (no copy); every other array as
    numpy's bytes. Joined, the pieces are exactly the frame ``pack`` gives."""
    digits = np.arange(1797 * 64, dtype=np.float64).reshape(1797, 64)
    strided = np.zeros((4, 6))[:, ::2]
    enc = codec.Encoder(lambda obj: {"t": "handle"})
    tree = enc.encode([digits, strided, np.float32(2.5), "x"])
    pieces = codec.frame_parts(tree, enc.buffers)
    views = [p for p in pieces if isinstance(p, memoryview)]
    assert sum(np.shares_memory(np.frombuffer(v, np.uint8), digits) for v in views) == 1
    assert not any(np.shares_memory(np.frombuffer(p, np.uint8), strided) for p in pieces)
    joined = b"".join(pieces)
    assert joined == codec.pack(tree, enc.buffers)
    back = codec.decode_message(joined[8:], None)
    assert np.array_equal(back[0], digits) and np.array_equal(back[1], strided)
    assert back[2] == np.float32(2.5) and back[3] == "x"
    assert not np.shares_memory(back[0], digits)  # the receiver's own copy
