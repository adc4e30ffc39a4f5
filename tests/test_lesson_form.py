"""Every lesson has the course's form (../shared/COURSE.md, "How a lesson is written").

Short cells (prose at most 250 words, code at most 30 lines), at most 9 sections (level-2 headings,
Summary and Exercises included); an opening that says what the lesson builds on and how long it
takes; a close with a summary, exercises and what comes next. Counts, read from the committed files.

Run one lesson: pytest tests/test_lesson_form.py -k 05_sentiment
"""
import re

import pytest

from test_notebooks import NOTEBOOKS, ids, read

LESSONS = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]
MAX_WORDS, MAX_LINES, MAX_SECTIONS = 250, 30, 9


def cells(path, kind):
    return [c.source for c in read(path).cells if c.cell_type == kind]


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_cells_are_short(path):
    long_prose = [i for i, text in enumerate(cells(path, "markdown")) if len(text.split()) > MAX_WORDS]
    long_code = [i for i, text in enumerate(cells(path, "code")) if len(text.splitlines()) > MAX_LINES]
    assert not long_prose, f"{path.name}: markdown cells {long_prose} (counted among markdown cells) over {MAX_WORDS} words"
    assert not long_code, f"{path.name}: code cells {long_code} (counted among code cells) over {MAX_LINES} lines"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_at_most_nine_sections(path):
    sections = [line for text in cells(path, "markdown") for line in text.splitlines() if line.startswith("## ")]
    assert len(sections) <= MAX_SECTIONS, f"{path.name}: {len(sections)} sections: {sections}"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_opening_says_what_it_builds_on_and_its_time(path):
    opening = "\n".join(cells(path, "markdown")[:3]).lower()
    assert "you will learn" in opening, f"{path.name}: the opening lists no objectives ('You will learn')"
    assert "builds on" in opening, f"{path.name}: the opening does not say what the lesson builds on"
    assert re.search(r"\btime\b", opening) and re.search(r"\bmin(utes?)?\b", opening), \
        f"{path.name}: the opening does not give the lesson's time in minutes"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_closes_with_summary_exercises_and_next(path):
    headings = [line.lower() for text in cells(path, "markdown") for line in text.splitlines()
                if line.startswith("#")]
    for part in ("summary", "exercises", "next"):
        assert any(part in h for h in headings), f"{path.name}: no heading for '{part}' at the close"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_check_your_understanding_is_answered_in_place(path):
    headings = [line.lower() for text in cells(path, "markdown") for line in text.splitlines() if line.startswith("## ")]
    assert any("check your understanding" in h for h in headings), f"{path.name}: no 'Check your understanding' section"
    asked = {int(n) for text in cells(path, "code") for n in re.findall(r"\.question_(\d+)\(", text)}
    assert len(asked) >= 2, f"{path.name}: {len(asked)} questions checked in place (question_N calls), at least 2 expected"


@pytest.mark.parametrize("path", [p for p in LESSONS if not p.name.startswith("00_")], ids=ids(LESSONS[1:]))
def test_a_figure_in_every_lesson_after_setup(path):
    code = "\n".join(cells(path, "code"))
    names = [n.strip() for group in re.findall(r"^from lorakit\.figures(?:\.\w+)? import (.+)$", code, re.M)
             for n in group.split("#")[0].split(",")]
    drawn = any(re.search(rf"\b{re.escape(n)}[.(]", code.split("import", 1)[0] + code.replace(f"import {n}", ""))
                for n in names if n)
    pictured = any(re.search(r"!\[[^\]]*\]\(figures/", text) for text in cells(path, "markdown"))
    assert drawn or pictured, f"{path.name}: no figure drawn with lorakit.figures and no image from notebooks/figures/"
