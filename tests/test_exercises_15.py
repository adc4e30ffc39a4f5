"""The checkers of lesson 15 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb15


def test_check_1_bits_per_weight():
    right = {(32, False): 5.0, (32, True): 4 + 8 / 32 + 32 / (32 * 256),
             (128, False): 4.25, (128, True): 4 + 8 / 128 + 32 / (128 * 256)}
    assert nb15.check_1(right)
    no_second_level = {**right, (128, True): 4 + 8 / 128}
    verdict = nb15.check_1(no_second_level)
    assert not verdict and "its own fp32 constant" in str(verdict)
    assert not nb15.check_1({(32, False): 5.0})
    assert "4.0" not in str(nb15.check_1({k: 4.0 for k in right}))  # the answer is not given away


RIGHT_GB = {"bf16": 14.0, "nf4": 7e9 * (4 + 8 / 64 + 32 / (64 * 256)) / 8 / 1e9, "lora_training": 0.64}


def test_check_2_memory_of_a_7b_model():
    assert nb15.check_2(RIGHT_GB)
    assert nb15.check_2({**RIGHT_GB, "nf4": 3.611})                 # rounded to what a learner would write
    wrong = {
        "nf4": (3.5, "block constants"),                          # 4 bits only
        "bf16": (28.0, "16 bits, 2 bytes"),                       # 4 bytes per weight
        "lora_training": (0.16, "gradient and both of AdamW"),     # the parameters alone
    }
    for key, (value, hint) in wrong.items():
        verdict = nb15.check_2({**RIGHT_GB, key: value})
        assert not verdict and hint in str(verdict), (key, str(verdict))
    verdict = nb15.check_2({**RIGHT_GB, "nf4": 7e9 * 4.5 / 8 / 1e9})
    assert not verdict and "without double quantisation" in str(verdict)
    assert "bytes" in str(nb15.check_2({**RIGHT_GB, "bf16": 14e9}))
    assert not nb15.check_2({"bf16": 14.0})
    placeholder = nb15.check_2({"bf16": 0.0, "nf4": 0.0, "lora_training": 0.0})
    assert not placeholder and "3.61" not in str(placeholder) and "14" not in str(placeholder)


def test_question_1_a_weight_after_nf4():
    assert nb15.question_1(0.2461 * 0.2)                             # the nearest NF4 value, times the absmax
    for wrong, hint in [(0.05, "16 values times the absmax"), (0.25, "multiply back"),
                        (0.2461, "multiplies it by the block's absmax"), (0.3379 * 0.2, "nearest")]:
        verdict = nb15.question_1(wrong)
        assert not verdict and hint in str(verdict) and "0.049" not in str(verdict), (wrong, str(verdict))


def test_question_2_what_a_qlora_layer_trains():
    assert nb15.question_2({"lora_A", "lora_B"}) and nb15.question_2(["lora_B", "lora_A"])
    verdict = nb15.question_2({"codes", "absmax", "lora_A", "lora_B"})
    assert not verdict and "frozen" in str(verdict)
    verdict = nb15.question_2({"lora_B"})
    assert not verdict and "both LoRA factors" in str(verdict)
    assert not nb15.question_2("lora_A, lora_B") and not nb15.question_2({"lora_C", "lora_A", "lora_B"})


def test_question_3_a_weight_stored_exactly():
    assert nb15.question_3(1)
    verdict = nb15.question_3(0)
    assert not verdict and "largest magnitude" in str(verdict)
    verdict = nb15.question_3(64)
    assert not verdict and "16 values" in str(verdict)
    assert not nb15.question_3(True)
