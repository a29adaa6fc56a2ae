"""Generate the synthetic Oosterhout youth-care data set.

Writes two CSV files: ``toewijzingen.csv`` (one row per youth-care allocation) and
``wijken.csv`` (key figures of the 14 districts of the municipality of Oosterhout).
District codes, names and the column ``a_soz_ww`` are real (CBS, Kerncijfers wijken
en buurten 2020); everything else is synthetic. See ``DATACARD.md``.

The allocations are drawn from ``k`` planted segments (3 to 5). The shipped files are
made with the defaults::

    python datasets/oosterhout/generate.py --seed 2020 --size 2000 --k 4 --out datasets/oosterhout

and the output is byte-for-byte reproducible for a given seed, size and k.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 2020
DEFAULT_SIZE = 2000
DEFAULT_K = 4
PEILDATUM = dt.date(2022, 1, 1)  # export date: durations of open-ended allocations end here
FIRST_START = dt.date(2018, 1, 1)

# ---------------------------------------------------------------------------------------
# Districts. Codes, names and a_soz_ww are real (CBS Kerncijfers wijken en buurten 2020);
# every other figure is synthetic (invented to be plausible; see DATACARD.md).
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
NA = None
# fmt: off
WIJK_FIGURES = [
    # columns as in WIJK_COLUMNS below, without wijk_naam; NA = not published
    ("WK082600", 6150,   690,   720,   3540,  820,   3890,  248,  52,  27.9,  12.6,  260,  80),
    ("WK082601", 7300,   1140,  860,   3360,  1010,  4870,  205,  47,  24.3,  11.2,  310,  110),
    ("WK082602", 3900,   620,   470,   1690,  540,   3610,  262,  31,  28.8,  7.5,   90,   40),
    ("WK082603", 4650,   760,   560,   1980,  640,   3920,  271,  28,  29.4,  6.3,   80,   50),
    ("WK082604", 2250,   420,   300,   900,   330,   2840,  318,  14,  33.1,  4.6,   20,   20),
    ("WK082605", 8700,   1440,  1050,  3780,  1230,  4410,  226,  44,  25.6,  10.3,  290,  150),
    ("WK082606", 10000,  1710,  1210,  4300,  1440,  4650,  232,  39,  26.2,  9.1,   330,  230),
    ("WK082607", 7000,   1390,  820,   2790,  1120,  3180,  297,  21,  31.0,  5.4,   110,  110),
    ("WK082608", 40,     NA,    NA,    20,    NA,    30,    NA,   NA,  NA,    NA,    0,    0),
    ("WK082609", 15,     NA,    NA,    NA,    NA,    10,    NA,   NA,  NA,    NA,    NA,   NA),
    ("WK082610", 1050,   170,   130,   410,   140,   60,    452,  12,  36.5,  3.8,   0,    0),
    ("WK082611", 1400,   250,   170,   540,   200,   540,   388,  15,  34.2,  3.2,   10,   10),
    ("WK082612", 1900,   330,   230,   760,   270,   620,   371,  17,  33.7,  3.5,   10,   10),
    ("WK082613", 2700,   510,   330,   1040,  410,   880,   345,  19,  32.4,  3.9,   30,   50),
]
# fmt: on
WIJK_COLUMNS = (
    "wijk_code wijk_naam a_inw a_00_14 a_15_24 a_hh a_hh_m_k bev_dich g_woz p_huurw "
    "g_ink_pi p_hh_li a_soz_wb a_soz_ww"
).split()
# How many allocations a district produces, relative to its young population: the two
# industrial estates have a handful of residents and almost no allocations.
_YOUTH_WEIGHT = {"WK082608": 3.0, "WK082609": 2.0}

# ---------------------------------------------------------------------------------------
# Planted segments. Durations, waits, hours are log-normal: (median, sigma of the log).
# ``tilt`` makes a segment more (>0) or less (<0) frequent in districts with many
# low-income households. Cost = rate x volume x log-normal noise, where the volume is
# hours (hourly care) or days (24-hour care).
SEGMENTS = {
    "licht": dict(
        label="light short ambulant support and dyslexia care",
        weight=0.38,
        age=(8.5, 2.3, 4, 17),
        duration=(120, 0.45),
        wait=(14, 0.7),
        hours=(3.0, 0.35),
        care={"Ambulante begeleiding": (0.55, 72, "uur"), "Dyslexiezorg": (0.45, 86, "uur")},
        referrer={"Huisarts": 0.35, "Wijkteam": 0.55, "Medisch specialist": 0.10},
        tilt=-0.20,
    ),
    "ggz": dict(
        label="youth mental health care with long waiting times",
        weight=0.28,
        age=(15.0, 1.8, 8, 22),
        duration=(300, 0.40),
        wait=(120, 0.35),
        hours=(7.0, 0.30),
        care={
            "Jeugd-GGZ basis": (0.45, 104, "uur"),
            "Jeugd-GGZ specialistisch": (0.55, 124, "uur"),
        },
        referrer={"Huisarts": 0.62, "Medisch specialist": 0.22, "Wijkteam": 0.16},
        tilt=0.0,
    ),
    "intensief": dict(
        label="intensive residential care and youth protection",
        weight=0.16,
        age=(14.8, 2.0, 8, 22),
        duration=(330, 0.45),
        wait=(6, 0.8),
        hours=(60, 0.35),
        care={
            "Residentiële jeugdhulp": (0.55, 215, "etmaal"),
            "Jeugdbescherming": (0.35, 96, "uur"),
            "Gesloten jeugdhulp": (0.10, 420, "etmaal"),
        },
        referrer={"Gecertificeerde instelling": 0.58, "Wijkteam": 0.30, "Medisch specialist": 0.12},
        tilt=0.25,
    ),
    "pleegzorg": dict(
        label="long-term foster and family care for young children",
        weight=0.18,
        age=(3.5, 2.2, 0, 9),
        duration=(850, 0.35),
        wait=(14, 0.8),
        hours=(11, 0.30),
        care={"Pleegzorg": (0.72, 58, "etmaal"), "Gezinshuis": (0.28, 142, "etmaal")},
        referrer={"Gecertificeerde instelling": 0.45, "Wijkteam": 0.45, "Huisarts": 0.10},
        tilt=0.10,
    ),
    "crisis": dict(
        label="short crisis intervention",
        weight=0.12,
        age=(13.5, 2.8, 5, 20),
        duration=(30, 0.35),
        wait=(1, 0.5),
        hours=(28, 0.35),
        care={"Crisishulp ambulant": (0.70, 118, "uur"), "Crisisopvang": (0.30, 265, "etmaal")},
        referrer={"Wijkteam": 0.50, "Gecertificeerde instelling": 0.30, "Huisarts": 0.20},
        tilt=0.15,
    ),
}
# The segments planted for each k, in order.
PLANTED = {
    3: ["licht", "ggz", "intensief"],
    4: ["licht", "ggz", "intensief", "pleegzorg"],
    5: ["licht", "ggz", "intensief", "pleegzorg", "crisis"],
}

ALLOCATION_COLUMNS = (
    "toewijzing_id client_id leeftijd geslacht wijk_code zorgsoort verwijzer aanbieder "
    "aanmelddatum startdatum einddatum duur_dagen wachttijd uren_per_maand eenheid tarief "
    "kosten"
).split()


def wijken_table() -> pd.DataFrame:
    """The 14 districts with their key figures (missing figures as ``NaN``)."""
    figures = pd.DataFrame(WIJK_FIGURES, columns=[WIJK_COLUMNS[0], *WIJK_COLUMNS[2:]])
    figures.insert(1, "wijk_naam", figures["wijk_code"].map(WIJK_NAMES))
    for col in WIJK_COLUMNS[2:]:
        figures[col] = pd.to_numeric(figures[col]).astype("float64")
    return figures


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _district_probabilities(wijken: pd.DataFrame, tilt: float) -> np.ndarray:
    youth = wijken["a_00_14"].fillna(0) + wijken["a_15_24"].fillna(0)
    youth = youth + wijken["wijk_code"].map(_YOUTH_WEIGHT).fillna(0)
    low_income = wijken["p_hh_li"].fillna(wijken["p_hh_li"].median())
    weight = youth * np.exp(tilt * (low_income - low_income.mean()))
    return (weight / weight.sum()).to_numpy()


def _segment_rows(
    rng: np.random.Generator, spec: dict, n: int, wijken: pd.DataFrame
) -> pd.DataFrame:
    mean, sd, lo, hi = spec["age"]
    age = np.clip(np.rint(rng.normal(mean, sd, n)), lo, hi).astype(int)
    duration = np.maximum(np.rint(_lognormal(rng, *spec["duration"], n)), 7).astype(int)
    wait = np.rint(_lognormal(rng, *spec["wait"], n) - 0.5).clip(0).astype(int)
    hours = np.round(_lognormal(rng, *spec["hours"], n) * 2) / 2
    hours = np.maximum(hours, 0.5)
    kinds = list(spec["care"])
    shares = np.array([spec["care"][c][0] for c in kinds])
    care = rng.choice(len(kinds), size=n, p=shares / shares.sum())
    rate = np.array([spec["care"][kinds[c]][1] for c in care], dtype=float)
    unit = np.array([spec["care"][kinds[c]][2] for c in care])
    volume = np.where(unit == "uur", hours * duration / 30.4, duration)
    cost = rate * volume * np.exp(0.15 * rng.standard_normal(n))
    referrers = list(spec["referrer"])
    ref_p = np.array([spec["referrer"][r] for r in referrers])
    district = rng.choice(len(wijken), size=n, p=_district_probabilities(wijken, spec["tilt"]))
    return pd.DataFrame(
        {
            "segment": spec["name"],
            "leeftijd": age,
            "geslacht": rng.choice(["M", "V"], size=n, p=[0.54, 0.46]),
            "wijk_code": wijken["wijk_code"].to_numpy()[district],
            "zorgsoort": np.array(kinds)[care],
            "verwijzer": np.array(referrers)[rng.choice(len(referrers), size=n, p=ref_p)],
            "duur_dagen": duration,
            "wachttijd": wait.astype(float),
            "uren_per_maand": hours,
            "eenheid": unit,
            "tarief": rate,
            "kosten": np.round(cost, 2),
        }
    )


def generate(
    seed: int = DEFAULT_SEED,
    size: int = DEFAULT_SIZE,
    k: int = DEFAULT_K,
    *,
    with_segment: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make the allocations and the districts.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed, size and k give the same tables.
    size : int
        Number of allocations.
    k : int
        Number of planted segments, one of 3, 4 or 5.
    with_segment : bool
        Add the planted segment of each allocation as a last column ``segment`` (the
        ground truth; not in the shipped files).

    Returns
    -------
    toewijzingen, wijken : pandas.DataFrame
    """
    if k not in PLANTED:
        raise ValueError(f"k must be one of {sorted(PLANTED)}, got {k}")
    if size < 100:
        raise ValueError(f"size must be at least 100, got {size}")
    rng = np.random.default_rng(seed)
    wijken = wijken_table()
    names = PLANTED[k]
    weights = np.array([SEGMENTS[s]["weight"] for s in names])
    counts = rng.multinomial(size, weights / weights.sum())
    parts = [
        _segment_rows(rng, {"name": s, **SEGMENTS[s]}, c, wijken)
        for s, c in zip(names, counts, strict=True)
    ]
    df = pd.concat(parts, ignore_index=True)
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    n = len(df)

    _add_dates(rng, df)
    _add_clients(rng, df)
    _add_mess(rng, df)
    df["aanbieder"] = [f"A{a:02d}" for a in _providers(rng, df)]
    df["toewijzing_id"] = [f"TW{100001 + i}" for i in range(n)]
    columns = ALLOCATION_COLUMNS + (["segment"] if with_segment else [])
    return df[columns], wijken


def _add_dates(rng: np.random.Generator, df: pd.DataFrame) -> None:
    n = len(df)
    span = (PEILDATUM - FIRST_START).days
    offset = rng.integers(0, span, n)
    start = pd.Series(pd.Timestamp(FIRST_START) + pd.to_timedelta(offset, unit="D"))
    # A share of the foster-care allocations is open-ended: no end date, and the duration
    # is counted up to the export date (censored).
    open_ended = (df["zorgsoort"].to_numpy() == "Pleegzorg") & (rng.random(n) < 0.12)
    censored = span - offset
    df["duur_dagen"] = np.where(open_ended, np.maximum(censored, 1), df["duur_dagen"])
    end = start + pd.to_timedelta(df["duur_dagen"], unit="D")
    df["startdatum"] = start.dt.strftime("%Y-%m-%d")
    df["einddatum"] = end.dt.strftime("%Y-%m-%d").where(~open_ended, None)
    aanmeld = start - pd.to_timedelta(df["wachttijd"], unit="D")
    df["aanmelddatum"] = aanmeld.dt.strftime("%Y-%m-%d")


def _add_clients(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """Pseudonymised client numbers; about one allocation in six joins an earlier client."""
    n = len(df)
    client = np.arange(n)
    age = df["leeftijd"].to_numpy()
    followers = np.flatnonzero(rng.random(n) < 0.16)
    is_follower = np.zeros(n, dtype=bool)
    is_follower[followers] = True
    for j in followers:
        candidates = np.flatnonzero(~is_follower & (np.abs(age - age[j]) <= 2))
        if len(candidates) == 0:
            continue
        i = candidates[rng.integers(len(candidates))]
        client[j] = client[i]
        for col in ("geslacht", "wijk_code"):
            df.loc[j, col] = df.loc[i, col]
    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    df["client_id"] = [f"C{numbers[c]}" for c in client]


def _add_mess(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """Missing values and a few outliers, as in a real export."""
    n = len(df)
    recent = df["startdatum"].to_numpy() >= "2021-07-01"
    # Missing registration date, hence missing waiting time.
    no_wait = rng.random(n) < 0.06
    df.loc[no_wait, ["wachttijd", "aanmelddatum"]] = None
    # Hours not recorded.
    df.loc[rng.random(n) < 0.04, "uren_per_maand"] = np.nan
    # Costs not yet invoiced: mostly recent allocations.
    no_cost = rng.random(n) < np.where(recent, 0.12, 0.01)
    df.loc[no_cost, "kosten"] = np.nan
    # Unknown or confidential address.
    df.loc[rng.random(n) < 0.012, "wijk_code"] = None
    # Outliers: a few very expensive placements, very long waits, hours entered per year.
    pick = rng.choice(n, size=7, replace=False)
    df.loc[pick[:3], "kosten"] = np.round(df.loc[pick[:3], "kosten"].fillna(5000) * 9.5, 2)
    df.loc[pick[3:5], "wachttijd"] = [412.0, 538.0]
    df.loc[pick[5:], "uren_per_maand"] = df.loc[pick[5:], "uren_per_maand"].fillna(4) * 12


def _providers(rng: np.random.Generator, df: pd.DataFrame) -> np.ndarray:
    kinds = sorted(df["zorgsoort"].unique())
    offer = {kind: 1 + (3 * i + np.arange(4)) % 24 for i, kind in enumerate(kinds)}
    return np.array([offer[kind][rng.integers(4)] for kind in df["zorgsoort"]])


def _csv_ready(toewijzingen: pd.DataFrame, wijken: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """Integer columns with gaps as nullable integers, so that 12 is written as 12."""
    t = toewijzingen.copy()
    t["wachttijd"] = t["wachttijd"].astype("Int64")
    w = wijken.copy()
    for col in WIJK_COLUMNS[2:]:
        if col not in ("g_ink_pi", "p_hh_li"):
            w[col] = w[col].astype("Int64")
    return t, w


def write(toewijzingen: pd.DataFrame, wijken: pd.DataFrame, out: Path) -> list[Path]:
    """Write ``toewijzingen.csv`` and ``wijken.csv`` (UTF-8, comma-separated, ``\\n``)."""
    out.mkdir(parents=True, exist_ok=True)
    t, w = _csv_ready(toewijzingen, wijken)
    paths = [out / "toewijzingen.csv", out / "wijken.csv"]
    t.to_csv(paths[0], index=False, lineterminator="\n")
    w.to_csv(paths[1], index=False, lineterminator="\n")
    return paths


def write_joined(toewijzingen: pd.DataFrame, wijken: pd.DataFrame, path: Path) -> Path:
    """Write the allocations left-joined with their district, as one CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t, w = _csv_ready(toewijzingen, wijken)
    t.merge(w, on="wijk_code", how="left").to_csv(path, index=False, lineterminator="\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="number of allocations")
    parser.add_argument("--k", type=int, default=DEFAULT_K, choices=sorted(PLANTED))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="output folder")
    parser.add_argument(
        "--joined",
        metavar="NAME",
        help="write one joined table OUT/NAME instead of the two files (the graders' variants)",
    )
    args = parser.parse_args(argv)
    toewijzingen, wijken = generate(seed=args.seed, size=args.size, k=args.k)
    if args.joined:
        paths = [write_joined(toewijzingen, wijken, args.out / args.joined)]
    else:
        paths = write(toewijzingen, wijken, args.out)
    for path in paths:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
