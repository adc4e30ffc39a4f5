"""The SQuAD v1.1 answer metrics: exact match and token F1 after the official normalisation.

Example:
    >>> squad_f1("The Normans, in Normandy", "Normans")
    0.5
"""
import re
import string
from collections import Counter


def squad_normalize(text):
    """SQuAD v1.1 answer normalisation: lower-case, drop punctuation and a/an/the, squeeze spaces.

    Example:
        >>> squad_normalize("  The Eiffel-Tower, in  PARIS!")
        'eiffeltower in paris'
    """
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_exact_match(prediction, ground_truth):
    """1.0 when the two answers are equal after `squad_normalize`, else 0.0.

    Example:
        >>> squad_exact_match("the Normans.", "Normans"), squad_exact_match("Norman", "Normans")
        (1.0, 0.0)
    """
    return float(squad_normalize(prediction) == squad_normalize(ground_truth))


def squad_f1(prediction, ground_truth):
    """Token-level F1 (0-1) between two normalised answers, as the SQuAD v1.1 script computes it.

    Example: 2 of 3 predicted tokens are right and 2 of 2 gold tokens are found: P=2/3, R=1.
        >>> round(squad_f1("in northern France", "Northern France"), 4)
        0.8
    """
    predicted, gold = squad_normalize(prediction).split(), squad_normalize(ground_truth).split()
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)
