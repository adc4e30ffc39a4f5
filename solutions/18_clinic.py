"""Solutions to lesson 18 (the clinic): every answer asserted with the lesson's checkers.

Run: python solutions/18_clinic.py
"""
import math

from lorakit.exercises import nb18

# Question 1: Adam moves each entry by about the learning rate per step; pushed the same way at a constant
# rate, 100 steps of 1e-8 add up to 1e-6.
assert nb18.question_1(100 * 1e-8)
# Question 2: generation continues the last position, so the padding goes on the left.
assert nb18.question_2("left")
# Question 3: training loss near zero, validation loss far above it, updates of a normal size.
assert nb18.question_3("overfitting")

# Exercise 1: the scaling lora_alpha / r goes from 16 / 8 = 2 to 64 / 8 = 8: four times the update.
assert nb18.check_1((64 / 8) / (16 / 8))


# Exercise 2: the doctor's rule for a runaway loss.
def ran_away(losses):
    if any(v is None or not math.isfinite(v) for v in losses):
        return True
    return bool(losses) and max(losses) > 2 * losses[0]


assert nb18.check_2(ran_away)


# Exercise 3: the update relative to the weight it changes (Frobenius norms).
def relative_update(B, A, W0, scaling):
    return float((scaling * B @ A).norm() / W0.norm())


assert nb18.check_3(relative_update)
print("lesson 18: all solutions pass")
