"""A task defined and registered here, in a test file, trains, predicts and evaluates through the
command line: adding a task touches no lorakit module but the registry call."""
import json

import datasets
import numpy as np
import pytest

from lorakit.cli import main
from lorakit.errors import DataError
from lorakit.tasks import TASKS, Task, register_task
from lorakit.tasks.base import check_lengths, checked_max_length, group_by_example, tokenize_map


class LengthTask(Task):
    """Is a line of text short (at most four words) or long? Files: `text<TAB>label` per line."""

    name, main_metric, label_column, default_labels = "length", "accuracy", "label", ["short", "long"]
    defaults = {"epochs": 1, "batch_size": 8}
    model_class, peft_task_type, file_name = "AutoModelForSequenceClassification", "SEQ_CLS", "{split}.tsv"

    @staticmethod
    def features():
        return datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["short", "long"])})

    def read(self, path, require_labels=True):
        rows = [line.split("\t") for line in open(path, encoding="utf-8").read().splitlines() if line]
        if require_labels and any(len(row) != 2 for row in rows):
            raise DataError(f"{path}: expected text<TAB>label on every line")
        labelled = all(len(row) == 2 for row in rows)
        columns = {"text": [row[0] for row in rows],
                   "label": [self.labels.index(row[1]) for row in rows] if labelled else []}
        return self.dataset(columns, labelled)

    def encode(self, dataset, tokenizer, train=True):
        max_length = checked_max_length(self.max_length, tokenizer)
        gold = "label" in dataset.column_names

        def tokenize(batch, indices):
            features = {**tokenizer(batch["text"], truncation=True, max_length=max_length),
                        "example_index": indices}
            return {**features, "labels": batch["label"]} if gold else features
        return tokenize_map(dataset, tokenize)

    @staticmethod
    def outputs(output, lengths):
        return list(output.logits.float().cpu().numpy())

    def postprocess(self, dataset, features, outputs):
        groups = group_by_example(features, outputs, len(dataset))
        return [self.labels[int(np.argmax(outputs[rows[0]]))] for rows in groups]

    def metrics(self, dataset, predictions):
        check_lengths(predictions, dataset)
        gold = [self.labels[i] for i in dataset["label"]]
        return {"accuracy": float(np.mean([g == p for g, p in zip(gold, predictions)]))}

    def format_predictions(self, dataset, predictions):
        return "".join(f"{text}\t{label}\n" for text, label in zip(dataset["text"], predictions))


WORDS = "the cat sat on a warm mat by the door while rain fell softly".split()


def write_lines(path, n, seed):
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        length = int(rng.integers(1, 12))
        lines.append(" ".join(rng.choice(WORDS, length)) + "\t" + ("short" if length <= 4 else "long"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def length_task():
    register_task(LengthTask)
    yield
    del TASKS["length"]


def test_a_task_registered_in_a_test_trains_and_predicts_through_the_cli(length_task, tmp_path, capsys):
    train, valid = write_lines(tmp_path / "train.tsv", 48, 0), write_lines(tmp_path / "valid.tsv", 16, 1)
    out = tmp_path / "run"
    assert main(["train", "--task", "length", "--train", str(train), "--eval", str(valid), "--out", str(out),
                 "--lr", "3e-3", "--quiet"]) == 0
    info = json.loads((out / "lorakit.json").read_text())
    assert info["task"] == "length" and info["labels"] == ["short", "long"]
    assert json.loads((out / "adapter_config.json").read_text())["task_type"] == "SEQ_CLS"

    texts = tmp_path / "texts.tsv"
    texts.write_text("a cat\nthe cat sat on a warm mat by the door\n", encoding="utf-8")
    assert main(["predict", "--model-dir", str(out), "--input", str(texts), "--output", str(tmp_path / "p.tsv")]) == 0
    predicted = [line.split("\t") for line in (tmp_path / "p.tsv").read_text().splitlines()]
    assert [text for text, _ in predicted] == ["a cat", "the cat sat on a warm mat by the door"]
    assert {label for _, label in predicted} <= {"short", "long"}

    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(out), "--data", str(valid)]) == 0
    assert 0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1


def test_an_unregistered_task_is_refused_with_the_valid_names(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--task", "length", "--out", str(tmp_path / "o")])
    assert "invalid choice: 'length'" in capsys.readouterr().err
