"""Worked answers to the lessons' exercises, computed when a student asks for them.

The lessons show each exercise's question and a button (:func:`simsrc.ui.teaching.exercise`);
the answer lives here, out of the students' sight, and is computed by the package when
revealed, so its numbers cannot drift from the model. :func:`answer` gives an answer's
title and text by lesson and exercise number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from simsrc.analysis import coverage, lessons, offers
from simsrc.analysis.compare import kpi_table
from simsrc.analysis.exit_survey import levels_from_exit_survey
from simsrc.analysis.experiment import plan_experiment
from simsrc.calibration.sbg import fit_sbg, sbg_survival
from simsrc.model.errors import ScenarioError
from simsrc.model.presets import preset
from simsrc.model.scenario import simple_scenario

__all__ = [
    "TEST_CHANGE",
    "acquisition_vs_churn",
    "answer",
    "answer_title",
    "exercises",
]

_ANSWERS: dict[tuple[int, int], tuple[str, Callable[[], str]]] = {}


def _worked(
    lesson: int, number: int, title: str
) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a worked answer for exercise ``number`` of ``lesson``."""

    def register(fn: Callable[[], str]) -> Callable[[], str]:
        _ANSWERS[(lesson, number)] = (title, fn)
        return fn

    return register


def exercises(lesson: int) -> list[int]:
    """The exercise numbers of a lesson that have a worked answer.

    Examples
    --------
    >>> exercises(1)
    [1, 2]
    """
    return sorted(n for (k, n) in _ANSWERS if k == lesson)


def answer_title(lesson: int, number: int) -> str:
    """The title of exercise ``number`` of ``lesson`` (what its button says).

    Raises
    ------
    ScenarioError
        If the lesson has no such exercise (naming the ones there are).

    Examples
    --------
    >>> answer_title(1, 1)
    'Steady state and time to 90 %'
    """
    if (lesson, number) not in _ANSWERS:
        have = ", ".join(f"{k}.{n}" for k, n in sorted(_ANSWERS))
        raise ScenarioError("exercise", f"no worked answer {lesson}.{number} (there are {have})")
    return _ANSWERS[(lesson, number)][0]


def answer(lesson: int, number: int) -> str:
    """The worked answer of exercise ``number`` of ``lesson``, computed now.

    Raises
    ------
    ScenarioError
        If the lesson has no such exercise.

    Examples
    --------
    >>> answer(2, 1)
    'S(t) = B(1, 1 + t) ÷ B(1, 1) = 1 ÷ (t + 1), so S(5) = 1/6 ≈ 0.167.'
    """
    answer_title(lesson, number)
    return _ANSWERS[(lesson, number)][1]()


_PLAIN: dict[tuple[int, int], tuple[str, str]] = {
    (3, 1): (
        "Causes you cannot fix",
        "Natural events (moving, closing, budget cuts) and failed payments that are "
        "really payment problems. A business can still soften them: a pause or Move & Follow "
        "keeps a moving customer in touch (lesson 4), and dunning recovers many failed "
        "payments (lesson 5).",
    ),
    (4, 2): (
        "High save rate, lower NPV",
        "Because a save is not the same as a kept customer: discounts and free months "
        "count as saves, give margin away, and most of those customers leave when the offer "
        "ends. Cost per save and NPV, not the save rate, say whether the flow pays.",
    ),
    (5, 2): (
        "More customers, lower revenue per customer",
        "Recovered customers include the ones who were struggling; if they come back "
        "on cheaper plans or pay later, average revenue per customer can dip even as the "
        "base and total revenue grow. Compare totals, not averages.",
    ),
    (6, 1): (
        "Coverage with rudeness",
        "Engaging every customer is good only if they leave on good terms: a refused "
        "customer handled badly counts as a bad exit (lost word of mouth, less likely to come "
        "back), the same as one never engaged. Training the team to let people go well is part "
        "of the save flow ([cancellations]).",
    ),
    (7, 3): (
        "Segments and heterogeneity",
        "Heterogeneity is about the differences a model does not otherwise see. Two-year "
        "contract customers hardly ever leave and month-to-month customers often do: as "
        "segments, that difference is already in the model, so the survivors of each "
        "segment are much like its newcomers and the spread within a segment matters little.",
    ),
}
"""Answers that are reasoning, not numbers: lesson and exercise → title, text."""

_ANSWERS.update({key: (title, partial(str, text)) for key, (title, text) in _PLAIN.items()})

# -- lesson 1: retention vs. acquisition -------------------------------------------------


@_worked(1, 1, "Steady state and time to 90 %")
def _steady_state() -> str:
    months = math.log(0.1) / math.log(0.95)
    return (
        f"Steady state A ÷ c = 500 ÷ 0.05 = {500 / 0.05:,.0f} customers. The base after n "
        f"months is (A/c)(1 − 0.95ⁿ), so 90 % needs 0.95ⁿ = 0.1: n = ln 0.1 ÷ ln 0.95 ≈ "
        f"{months:.0f} months."
    )


def acquisition_vs_churn(months: int) -> tuple[float, float]:
    """Customers after ``months``: +20 % acquisition, and −20 % churn (lesson 1, ex. 2)."""
    base = simple_scenario(new_per_month=500, monthly_churn=0.05, horizon_months=months)
    more = base.set("acquisition.new_per_month", 600)
    less = base.scale_churn(0.8)
    k = kpi_table(base, more, less)["ending_active"]
    return float(k.iloc[1]), float(k.iloc[2])


@_worked(1, 2, "Acquisition or churn?")
def _acquisition_or_churn() -> str:
    lines = []
    for months in (36, 120):
        more, less = acquisition_vs_churn(months)
        lines.append(
            f"after {months} months: +20 % acquisition → {more:,.0f}, "
            f"−20 % churn → {less:,.0f} customers"
        )
    return "; ".join(lines) + (
        f". More acquisition wins early, cutting churn wins later: the ceilings are "
        f"600 ÷ 0.05 = {600 / 0.05:,.0f} against 500 ÷ 0.04 = {500 / 0.04:,.0f} customers, and "
        "a lower churn works through the base you already have, so it takes time to show."
    )


# -- lesson 2: why churn falls with tenure -----------------------------------------------


@_worked(2, 1, "Survival with θ uniform")
def _uniform() -> str:
    return (
        "S(t) = B(1, 1 + t) ÷ B(1, 1) = 1 ÷ (t + 1), so S(5) = 1/6 ≈ "
        f"{float(sbg_survival(1.0, 1.0, 5)):.3f}."
    )


@_worked(2, 2, "Projecting from two years")
def _two_years() -> str:
    fit = fit_sbg([1000, 600, 450])
    s5 = float(fit.survival(5))
    return (
        f"Too low. Fitting the sBG to 100 %, 60 %, 45 % gives α = {fit.alpha:.2f}, "
        f"β = {fit.beta:.2f} and {100 * s5:.1f} % after year 5, against "
        f"{100 * 0.45 * 0.75**3:.1f} % with a constant 75 %: retention keeps rising as the "
        "risky customers are gone."
    )


# -- lesson 3: churn has causes ----------------------------------------------------------


@_worked(3, 2, "Other = moved house")
def _moved_house() -> str:
    b2b = preset("b2b-saas")
    moved = dict(
        lessons.EXIT_SURVEY,
        no_longer_needed=lessons.EXIT_SURVEY["no_longer_needed"] + lessons.EXIT_SURVEY["other"],
        other=0.0,
    )
    before = levels_from_exit_survey(b2b, lessons.EXIT_SURVEY, 0.02).monthly_churn_by_cause()
    after = levels_from_exit_survey(b2b, moved, 0.02).monthly_churn_by_cause()
    return (
        f"It rises from {before['natural_events']:.3%} to {after['natural_events']:.3%} a "
        "month: those answers now count for natural events instead of being spread over "
        "every cause."
    )


# -- lesson 4: save offers ---------------------------------------------------------------


@_worked(4, 1, "Price-driven cancellations")
def _price_driven() -> str:
    curves = offers.offer_survival(preset("b2b-saas"), ("discount", "downgrade", "contract"))
    rows = curves[(curves["tenure"] == 24) & (curves["offer"] != "none")]
    at = rows.set_index("offer")["survival"].sort_values(ascending=False)
    return (
        "After 24 months: "
        + ", ".join(f"{o} {v:.1%}" for o, v in at.items())
        + ". A downgrade or a contract changes something lasting (a cheaper plan, a "
        "commitment); a discount only postpones the decision."
    )


# -- lesson 5: late payers ---------------------------------------------------------------


@_worked(5, 1, "SMS or help-first?")
def _sms_or_help() -> str:
    m = lessons.dunning_matrix(preset("b2b-saas")).set_index(["style", "channel"])
    rate = m["recovery_rate"]
    return (
        f"From pay-up email ({rate[('pay_up', 'email')]:.0%}): SMS alone gives "
        f"{rate[('pay_up', 'sms')]:.0%}, help-first alone {rate[('help_first', 'email')]:.0%}, "
        f"both {rate[('help_first', 'sms')]:.0%}. SMS is read far more often, so it is "
        "the bigger single step here; help-first adds most where many late payers are stuck."
    )


# -- lesson 6: win-back and word of mouth ------------------------------------------------


@_worked(6, 2, "Referrals vs. one bad exit")
def _referrals() -> str:
    b2b = preset("b2b-saas")
    per_bad = b2b.word_of_mouth.lost_per_bad_exit
    per_active = b2b.acquisition.referrals_per_active
    return (
        f"One bad exit costs {per_bad} new customers; an active customer refers {per_active} "
        f"a month, so it takes {per_bad / per_active:,.0f} active customer-months of "
        "referrals to make up for it."
    )


# -- lesson 7: what is our base worth ----------------------------------------------------


@_worked(7, 1, "Worth after three renewals")
def _three_renewals() -> str:
    fit = fit_sbg(lessons.FADER_HARDIE_2007["high_end"].to_numpy()[:8] * 10)
    worth = float(fit.derv(0.10, 3, 250.0))
    alike = lessons.derl_by_renewals("high_end", discount=0.10)["alike"].iloc[0]
    return (
        f"With customers differing: {worth:,.0f} (DERL {worth / 250:.2f} payments × 250). "
        f"With one retention rate: {250.0 * float(alike):,.0f}, the same as a new customer."
    )


TEST_CHANGE = "save_team.discount.acceptance.price_competitor=+0.05"
"""Lesson 7's experiment: a price-driven discount accepted five points more often."""


@_worked(7, 2, "A test at 60 % power")
def _lower_power() -> str:
    app = preset("consumer-app")
    plan = plan_experiment(app, TEST_CHANGE)
    quick = plan_experiment(app, TEST_CHANGE, power=0.6)
    return (
        f"{quick.per_arm:,} requests per arm, {quick.months:.1f} months instead of "
        f"{plan.months:.1f}: the test misses the change two times in five."
    )


@_worked(7, 4, "A band a quarter as wide")
def _quarter_width() -> str:
    study = coverage.published_coverage()
    width = study.query("kpi == 'npv'").set_index("customers")["width"]
    needed = 8_000 * (width[8000] / (width[2000] / 4)) ** 2
    return (
        f"About {needed:,.0f}: the width shrinks like 1/√n (measured: {width[2000]:.1%} at "
        f"2,000, {width[8000]:.1%} at 8,000), so a quarter of the width takes sixteen times "
        "the customers."
    )
