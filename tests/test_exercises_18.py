"""The checkers of lesson 18 accept the solutions' answers and reject plausible wrong ones."""
import math

from lorakit.exercises import nb18


def test_question_1_adam_steps_add_up():
    assert nb18.question_1(1e-6) and nb18.question_1(8e-7)
    assert "one step" in str(nb18.question_1(1e-8))
    assert not nb18.question_1(1e-4) and not nb18.question_1(0) and not nb18.question_1("1e-6")


def test_question_2_left_padding():
    assert nb18.question_2("left")
    assert not nb18.question_2("right") and not nb18.question_2("both")


def test_question_3_overfitting():
    assert nb18.question_3("overfitting")
    for wrong in ("learning rate too low", "learning rate too high", "fp16 overflow", "underfitting"):
        assert not nb18.question_3(wrong)


def test_check_1_alpha_factor():
    assert nb18.check_1(4) and nb18.check_1(4.0)
    for wrong in (0.25, 2, 1, 8):
        assert not nb18.check_1(wrong)


def test_check_2_runaway_rule():
    def right(losses):
        if any(v is None or not math.isfinite(v) for v in losses):
            return True
        return bool(losses) and max(losses) > 2 * losses[0]

    def only_rising(losses):            # misses non-finite losses
        finite = [v for v in losses if v is not None and math.isfinite(v)]
        return bool(finite) and max(finite) > 2 * finite[0]

    def last_above_first(losses):       # compares only the last step
        return bool(losses) and (losses[-1] is None or not losses[-1] < 2 * losses[0])
    assert nb18.check_2(right)
    for wrong in (only_rising, last_above_first, lambda losses: False, lambda losses: losses[0] > 1):
        assert not nb18.check_2(wrong)


def test_check_3_relative_update():
    assert nb18.check_3(lambda B, A, W0, s: float((s * B @ A).norm() / W0.norm()))
    assert "scaling" in str(nb18.check_3(lambda B, A, W0, s: float((B @ A).norm() / W0.norm())))
    assert "W0" in str(nb18.check_3(lambda B, A, W0, s: float((s * B @ A).norm())))
    assert not nb18.check_3(lambda B, A, W0, s: float((s * B @ A).abs().sum() / W0.abs().sum()))
    assert not nb18.check_3(lambda B, A, W0, s: 1 / 0)
