"""The synthetic Oosterhout data: reproducible, real where it says so, planted structure."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "datasets" / "oosterhout"
GRADERS = REPO / "autograder" / "graders" / "oosterhout"
BUNDLE = REPO / "assignments" / "oosterhout"
sys.path.insert(0, str(DATA))
import generate  # noqa: E402

CODES_AND_NAMES = [
    ("WK082600", "Oosterhout-Centrum"),
    ("WK082601", "Slotjes"),
    ("WK082602", "West"),
    ("WK082603", "Strijen"),
    ("WK082604", "Leijsenakkers"),
    ("WK082605", "Oosterheide"),
    ("WK082606", "Dommelbergen"),
    ("WK082607", "Vrachelen"),
    ("WK082608", "Industrieterrein Zuid"),
    ("WK082609", "Industrieterrein Noord"),
    ("WK082610", "Buitengebied Oosterhout"),
    ("WK082611", "Den Hout"),
    ("WK082612", "Oosteind"),
    ("WK082613", "Dorst"),
]
# CBS Kerncijfers wijken en buurten 2020, a_soz_ww, in the order above (None: not published)
A_SOZ_WW = [80, 110, 40, 50, 20, 150, 230, 110, 0, None, 0, 10, 10, 50]
FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def _run_generator(*args):
    return subprocess.run(
        [sys.executable, str(DATA / "generate.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _joined(folder=DATA):
    t = pd.read_csv(folder / "toewijzingen.csv")
    w = pd.read_csv(folder / "wijken.csv")
    return t.merge(w, on="wijk_code", how="left")


def _X(df):
    table = df[FEATURES].astype(float)
    table = table.fillna(table.median())
    table[SKEWED] = np.log1p(table[SKEWED])
    X = table.to_numpy()
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _silhouettes(X, random_state):
    return [
        silhouette_score(X, KMeans(k, n_init=10, random_state=random_state).fit_predict(X))
        for k in range(2, 9)
    ]


def test_the_cli_regenerates_the_shipped_files_byte_for_byte(tmp_path):
    _run_generator("--seed", "2020", "--size", "2000", "--k", "4", "--out", str(tmp_path))
    for name in ("toewijzingen.csv", "wijken.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_the_defaults_are_the_shipped_settings(tmp_path):
    toewijzingen, wijken = generate.generate()
    generate.write(toewijzingen, wijken, tmp_path)
    for name in ("toewijzingen.csv", "wijken.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_the_student_bundle_has_the_same_files():
    for name in ("toewijzingen.csv", "wijken.csv"):
        assert (BUNDLE / name).read_bytes() == (DATA / name).read_bytes(), name


@pytest.mark.parametrize(("k", "seed"), [(3, 3), (5, 5)])
def test_the_grader_variants_regenerate_byte_for_byte(tmp_path, k, seed):
    name = f"variant_k{k}.csv"
    _run_generator(
        "--seed", str(seed), "--size", "800", "--k", str(k), "--out", str(tmp_path),
        "--joined", name,
    )  # fmt: skip
    assert (tmp_path / name).read_bytes() == (GRADERS / "support" / name).read_bytes()


def test_another_seed_gives_other_data():
    a, _ = generate.generate(seed=1, size=300)
    b, _ = generate.generate(seed=2, size=300)
    assert not a.equals(b)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"k": 6}, "k must be one of"), ({"size": 10}, "size must be at least")]
)
def test_the_generator_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate.generate(**kwargs)


def test_districts_have_the_real_codes_and_names_in_order():
    wijken = pd.read_csv(DATA / "wijken.csv")
    assert list(zip(wijken["wijk_code"], wijken["wijk_naam"], strict=True)) == CODES_AND_NAMES


def test_a_soz_ww_has_the_real_cbs_values():
    values = pd.read_csv(DATA / "wijken.csv")["a_soz_ww"].tolist()
    assert len(values) == len(A_SOZ_WW)
    for got, want in zip(values, A_SOZ_WW, strict=True):
        assert np.isnan(got) if want is None else got == want, (got, want)


def test_allocations_look_like_the_issue_asks():
    t = pd.read_csv(DATA / "toewijzingen.csv")
    assert 2000 <= len(t) <= 3000
    assert t["toewijzing_id"].is_unique
    assert t["client_id"].nunique() < len(t)  # some clients have several allocations
    for col in ("wachttijd", "uren_per_maand", "kosten", "wijk_code"):
        assert 0 < t[col].isna().mean() < 0.1, col
    assert t["kosten"].skew() > 2 and t["duur_dagen"].skew() > 1
    assert set(t["verwijzer"]) == {
        "Huisarts",
        "Wijkteam",
        "Gecertificeerde instelling",
        "Medisch specialist",
    }
    assert {"Ambulante begeleiding", "Jeugd-GGZ basis", "Dyslexiezorg", "Pleegzorg"} <= set(
        t["zorgsoort"]
    )
    assert {"Residentiële jeugdhulp", "Jeugdbescherming"} <= set(t["zorgsoort"])


def test_the_facts_the_graders_rely_on_hold():
    path = GRADERS / "q1_load_data.py"  # compiled under its own path: it finds support/ by it
    env = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), env)
    t = pd.read_csv(DATA / "toewijzingen.csv")
    w = pd.read_csv(DATA / "wijken.csv")
    assert env["N_ALLOCATIONS"] == len(t)
    assert env["TOEWIJZINGEN_COLUMNS"] == list(t.columns)
    assert env["WIJKEN_COLUMNS"] == list(w.columns)
    assert list(env["WIJK_NAMES"].items()) == CODES_AND_NAMES
    joined = _joined()
    assert all(joined[c].isna().any() for c in env["_hidden_WITH_GAPS"])
    # the bug fixtures rely on these: an inner join loses rows, an outer join adds one
    assert len(t.merge(w, on="wijk_code")) < len(t) < len(t.merge(w, on="wijk_code", how="outer"))


@pytest.mark.parametrize(
    ("label", "k"),
    [("shipped", 4), ("variant_k3.csv", 3), ("variant_k5.csv", 5)],
)
def test_the_silhouette_peaks_at_the_planted_k_for_every_kmeans_seed(label, k):
    df = _joined() if label == "shipped" else pd.read_csv(GRADERS / "support" / label)
    X = _X(df)
    for random_state in range(4):
        scores = _silhouettes(X, random_state)
        assert int(np.argmax(scores)) + 2 == k, (random_state, np.round(scores, 3))


@pytest.mark.parametrize("k", [3, 4, 5])
def test_fresh_data_of_every_planted_k_peaks_there(k):
    t, w = generate.generate(seed=97 + k, size=1000, k=k)
    X = _X(t.merge(w, on="wijk_code", how="left"))
    for random_state in (0, 1):
        scores = _silhouettes(X, random_state)
        assert int(np.argmax(scores)) + 2 == k, (random_state, np.round(scores, 3))


def test_the_planted_segments_are_what_kmeans_finds():
    t, w = generate.generate(with_segment=True)
    X = _X(t.merge(w, on="wijk_code", how="left"))
    labels = KMeans(4, n_init=10, random_state=0).fit_predict(X)
    table = pd.crosstab(t["segment"], labels)
    purity = table.max(axis=1).sum() / len(t)
    assert purity > 0.9, table


def test_the_graders_copy_of_the_features_is_the_join_of_the_shipped_files():
    stored = pd.read_csv(GRADERS / "support" / "shipped_features.csv")
    features = list(stored.columns)
    joined = _joined()[features]
    assert list(joined.columns) == features and len(stored) == len(joined)
    assert np.array_equal(stored.to_numpy(float), joined.to_numpy(float), equal_nan=True)
