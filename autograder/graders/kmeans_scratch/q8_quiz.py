"""Q8: the multiple-choice quiz of the README."""

from otter.test_files import test_case

OK_FORMAT = False
name = "q8_quiz"

QUESTIONS = ("inertia", "kmeans_plus_plus", "elbow", "scaling", "shapes")
LETTERS = ("a", "b", "c", "d")


def _answer(QUIZ, question: str) -> str | None:
    """The student's letter for one question, lower-cased, or None when not a letter."""
    value = QUIZ.get(question) if isinstance(QUIZ, dict) else None
    if isinstance(value, str) and value.strip().lower() in LETTERS:
        return value.strip().lower()
    return None


@test_case(name="QUIZ answers every question with one of a, b, c, d", points=1)
def well_formed(QUIZ):
    assert isinstance(QUIZ, dict), (
        f"QUIZ is {type(QUIZ).__name__}; expected a dict such as "
        "{'inertia': 'a', 'kmeans_plus_plus': 'b', ...}"
    )
    missing = [q for q in QUESTIONS if _answer(QUIZ, q) is None]
    assert not missing, (
        f"no answer a, b, c or d for: {', '.join(missing)}\n"
        "hint: replace each ... in QUIZ by the letter of your answer, as a string."
    )
    extra = sorted(set(map(str, QUIZ)) - set(QUESTIONS))
    assert not extra, f"QUIZ has unknown question ids: {', '.join(extra)}"


def _hidden_check(QUIZ, question: str, topic: str) -> None:
    given = _answer(QUIZ, question)
    assert given == _hidden_answer_key[question], (
        f"your answer to '{question}' ({given or 'none'}) is not correct\n"
        f"hint: re-read the part of the README about {topic}."
    )


@test_case(name="quiz: what the inertia measures", points=1, hidden=True)
def quiz_inertia(QUIZ):
    _hidden_check(QUIZ, "inertia", "the inertia")


@test_case(name="quiz: why k-means++ helps", points=1, hidden=True)
def quiz_kmeans_plus_plus(QUIZ):
    _hidden_check(QUIZ, "kmeans_plus_plus", "k-means++ seeding")


@test_case(name="quiz: how to read an elbow plot", points=1, hidden=True)
def quiz_elbow(QUIZ):
    _hidden_check(QUIZ, "elbow", "the elbow method")


@test_case(name="quiz: what scaling does to K-means", points=1, hidden=True)
def quiz_scaling(QUIZ):
    _hidden_check(QUIZ, "scaling", "distances and the units of the features")


@test_case(name="quiz: which cluster shapes K-means cannot find", points=1, hidden=True)
def quiz_shapes(QUIZ):
    _hidden_check(QUIZ, "shapes", "what K-means assumes about clusters")


_hidden_answer_key = {
    "inertia": "c",
    "kmeans_plus_plus": "a",
    "elbow": "d",
    "scaling": "b",
    "shapes": "c",
}
