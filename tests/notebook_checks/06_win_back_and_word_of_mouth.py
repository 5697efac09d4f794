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
# the numbers the text and exercise 2 quote are the preset's
assert b2b.get("word_of_mouth.lost_per_bad_exit") == 0.1
assert b2b.get("acquisition.referrals_per_active") == 0.001 and b2b.horizon_months == 60
# "a shorter delay wins back more customers ... who pay for longer": NPV falls with delay
for channel in ("email", "sms"):
    assert wb[wb["channel"] == channel].set_index("delay (months)")["NPV"].is_monotonic_decreasing
