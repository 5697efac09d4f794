"""Lesson widgets: built from the parameter table, values re-validated, answers on demand."""

import pytest

import simsrc
from simsrc.ui import teaching


def test_slider_takes_label_bounds_and_help_from_the_parameter_table():
    s = teaching.slider("save_team.coverage", 0.5)
    row = simsrc.PARAMETERS["save_team.coverage"]
    assert (s.description, s.min, s.max, s.step, s.tooltip) == (
        row.label,
        0,
        1,
        row.step,
        row.help,
    )


def test_values_from_the_browser_are_checked():
    with pytest.raises(simsrc.ScenarioError, match=r"heterogeneity\.spread: must be a number"):
        teaching.checked("heterogeneity.spread", 7.0)


def test_a_crafted_value_shows_a_message_not_a_traceback(capsys):
    w = teaching.leaky_bucket_widget()
    acq = w.children[0].children[0]
    acq.max = 1e9
    acq.value = 1e8  # outside the table's 0 … 1e7: a crafted message could send it
    assert "acquisition.new_per_month: must be a number between 0 and 1e+07" in w.children[1].value
    acq.value = 200.0
    assert w.children[1].value == ""


def test_answer_is_computed_when_revealed():
    calls = []
    box = teaching.answer("x", lambda: calls.append(1) or "forty-two")
    assert calls == [] and box.children[1].value == ""
    box.children[0].click()
    assert "forty-two" in box.children[1].value and calls == [1]
    box.children[0].click()
    assert box.children[1].value == ""


def test_every_lesson_exercise_has_a_worked_answer_out_of_sight():
    # Issue 18: students see the question and a button, never the answer's formula.
    import json
    import re
    from pathlib import Path

    from simsrc.analysis import answers

    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("0*.ipynb")):
        lesson = int(path.name[:2])
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells)
        questions = re.findall(r"^(\d+)\. ", text.split("## Exercises")[1], flags=re.MULTILINE)
        assert [int(q) for q in questions] == answers.exercises(lesson), path.name
        for n in answers.exercises(lesson):
            assert f"teaching.exercise({lesson}, {n})" in text
            worked = answers.answer(lesson, n)
            assert len(worked) > 40
            # no sentence of the worked answer is in the notebook's visible source
            for sentence in re.split(r"(?<=[.:;]) ", worked):
                if len(sentence) > 30:
                    assert sentence not in text, (path.name, n, sentence)
        assert "teaching.answer(" not in text and "def answer_" not in text


def test_an_unknown_exercise_is_one_error_naming_the_known_ones():
    from simsrc.analysis import answers

    with pytest.raises(
        simsrc.ScenarioError, match=r"^exercise: no worked answer 9\.1 \(there are 1\.1"
    ):
        answers.answer(9, 1)


def test_lesson_sliders_line_up_and_keep_churn_well_below_certain():
    w = teaching.leaky_bucket_widget()
    acq, churn = w.children[0].children
    spread = teaching.spread_widget().children[0]
    assert {x.layout.width for x in (acq, churn, spread)} == {teaching.SLIDER_WIDTH}
    assert {x.style.description_width for x in (acq, churn, spread)} == {teaching.LABEL_WIDTH}
    assert churn.max <= 0.25 and churn.readout_format.endswith("%")
