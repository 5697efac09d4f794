"""Checks of 06_win_back_and_word_of_mouth.ipynb (Lesson 6 · Win-back and word of mouth): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: b2b = simsrc.preset("b2b-saas")
assert table["bad exits"].is_monotonic_increasing
assert table["customers won back"].is_monotonic_decreasing
assert table["NPV"].is_monotonic_decreasing

# after: def win_back_options(s):
email = wb[wb["channel"] == "email"].set_index("delay (months)")["won back"]
sms = wb[wb["channel"] == "sms"].set_index("delay (months)")["won back"]
assert (sms > email).all() and email.is_monotonic_decreasing
