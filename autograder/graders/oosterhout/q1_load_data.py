"""Q1: load_data joins the allocations with the key figures of their district."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_load_data"

# A check that cannot be judged without the default call of these student functions
# (memoised: shared.KIT.memo) is not run once that call failed: one explanation, not many.
DEPENDS = {
    "one_row_per_allocation": ["load_data"],
    "every_column": ["load_data"],
    "own_district": ["load_data"],
    "keeps_gaps": ["load_data"],
}


def _support(name="_shared"):
    """``support/<name>.py`` beside this file, loaded once per process and shared by every
    question file (otter may run this file as a bare string: then ``./tests/support``)."""
    here = Path(_support.__code__.co_filename).resolve().parent
    path = (
        (here if (here / "support").is_dir() else Path.cwd() / "tests") / "support" / f"{name}.py"
    )
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


shared = _support()

# Facts of the shipped data (datasets/oosterhout/; tests/test_oosterhout_dataset.py checks
# them against the files).
N_ALLOCATIONS = 2000
TOEWIJZINGEN_COLUMNS = [
    "toewijzing_id",
    "client_id",
    "leeftijd",
    "geslacht",
    "wijk_code",
    "zorgsoort",
    "verwijzer",
    "aanbieder",
    "aanmelddatum",
    "startdatum",
    "einddatum",
    "duur_dagen",
    "wachttijd",
    "uren_per_maand",
    "eenheid",
    "tarief",
    "kosten",
]
WIJKEN_COLUMNS = [
    "wijk_code",
    "wijk_naam",
    "a_inw",
    "a_00_14",
    "a_15_24",
    "a_hh",
    "a_hh_m_k",
    "bev_dich",
    "g_woz",
    "p_huurw",
    "g_ink_pi",
    "p_hh_li",
    "a_soz_wb",
    "a_soz_ww",
]
# The real district names (CBS); public knowledge.
WIJK_NAMES = {
    "WK082600": "Oosterhout-Centrum",
    "WK082601": "Slotjes",
    "WK082602": "West",
    "WK082603": "Strijen",
    "WK082604": "Leijsenakkers",
    "WK082605": "Oosterheide",
    "WK082606": "Dommelbergen",
    "WK082607": "Vrachelen",
    "WK082608": "Industrieterrein Zuid",
    "WK082609": "Industrieterrein Noord",
    "WK082610": "Buitengebied Oosterhout",
    "WK082611": "Den Hout",
    "WK082612": "Oosteind",
    "WK082613": "Dorst",
}

# Columns of the shipped data that have missing values (in the files or after the join).
_hidden_WITH_GAPS = ["wachttijd", "uren_per_maand", "kosten", "p_hh_li"]


def _table(load_data):
    """The student's ``load_data()``, once per submission, checked to be a DataFrame."""
    df = shared.KIT.memo.call("default", load_data)
    assert isinstance(df, pd.DataFrame), (
        f"load_data returned {type(df).__name__}; expected a pandas DataFrame\n"
        "hint: read both CSV files with pd.read_csv and return the merged table."
    )
    return df


def _is_missing(values):
    """True where a value is missing (None or NaN), for any column dtype."""
    return pd.isna(pd.Series(np.asarray(values, dtype=object))).to_numpy()


@test_case(name="load_data returns one row per allocation", points=2)
def one_row_per_allocation(load_data):
    df = _table(load_data)
    n = len(df)
    if n < N_ALLOCATIONS:
        hint = (
            "hint: an inner join (the default of merge) drops the allocations without a "
            'known district; use how="left".'
        )
    else:
        hint = (
            "hint: an outer or right join also adds districts without allocations, and a "
            'join on a column that is not unique repeats rows; use on="wijk_code", how="left".'
        )
    assert n == N_ALLOCATIONS, (
        f"load_data returned {n:,} rows; expected {N_ALLOCATIONS:,} (one per row of "
        f"toewijzingen.csv)\n{hint}"
    )
    if "toewijzing_id" in df.columns:
        repeated = int(pd.Series(np.asarray(df["toewijzing_id"], dtype=object)).duplicated().sum())
        assert repeated == 0, (
            f"{repeated} allocations appear more than once (same toewijzing_id)\n"
            'hint: join on wijk_code only, with how="left".'
        )


@test_case(name="load_data keeps every column of both tables", points=2)
def every_column(load_data):
    df = _table(load_data)
    columns = [str(c) for c in df.columns]
    missing_t = [c for c in TOEWIJZINGEN_COLUMNS if c not in columns]
    missing_w = [c for c in WIJKEN_COLUMNS if c not in columns]
    suffixed = [c for c in columns if c.endswith(("_x", "_y"))]
    parts = []
    if missing_t:
        parts.append(f"from toewijzingen.csv: {', '.join(missing_t)}")
    if missing_w:
        parts.append(f"from wijken.csv: {', '.join(missing_w)}")
    if suffixed:
        hint = f"hint: columns {', '.join(suffixed)} mean both tables were joined on more than "
        hint += 'wijk_code, or not on it; use on="wijk_code".'
    else:
        hint = "hint: merge the two full tables; select columns later, in preprocess."
    assert not parts, "load_data's table lacks columns " + "; ".join(parts) + "\n" + hint


@test_case(name="each allocation carries the figures of its own district", points=2)
def own_district(load_data):
    df = _table(load_data)
    for col in ("wijk_code", "wijk_naam", "a_soz_ww"):
        assert col in df.columns, (
            f"load_data's table has no column {col}, so the join cannot be checked\n"
            "hint: keep every column of both tables."
        )
    codes = np.asarray(df["wijk_code"], dtype=object)
    names = np.asarray(df["wijk_naam"], dtype=object)
    known = np.array([c in WIJK_NAMES for c in codes])
    assert known.mean() >= 0.5, (
        f"only {int(known.sum()):,} of {len(codes):,} allocations have a district code of "
        "Oosterhout (WK082600 to WK082613) in wijk_code, so the join cannot be judged\n"
        "hint: keep the wijk_code column of toewijzingen.csv as it is."
    )
    expected = np.array([WIJK_NAMES.get(c, "") for c in codes], dtype=object)
    wrong = np.flatnonzero(known & (names != expected))
    if len(wrong):
        i = int(wrong[0])
        raise AssertionError(
            f"{len(wrong):,} allocations carry the name of another district (for example row "
            f"{i}: wijk_code {codes[i]} with wijk_naam {names[i]!r}; expected "
            f"{WIJK_NAMES[codes[i]]!r})\n"
            'hint: join on the wijk_code column (on="wijk_code"), not on the row number.'
        )
    filled = int((_is_missing(codes) & ~_is_missing(names)).sum())
    assert filled == 0, (
        f"{filled} allocations without a wijk_code still got a district name\n"
        "hint: an allocation without a known district keeps empty district figures."
    )


@test_case(name="load_data keeps the missing values for preprocess to fill", points=1, hidden=True)
def keeps_gaps(load_data):
    df = _table(load_data)
    filled = []
    for col in _hidden_WITH_GAPS:
        values = np.asarray(df[col], dtype=object) if col in df.columns else np.array([])
        if not _is_missing(values).any():
            filled.append(col)
    assert not filled, (
        f"load_data's table has no missing values in {', '.join(filled)}; the files have "
        "gaps there\n"
        "hint: load_data only reads and joins; fill missing values in preprocess, with the "
        "median."
    )
