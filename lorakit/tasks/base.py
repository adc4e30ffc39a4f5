"""What every task provides, and the helpers the tasks share.

A model sees sub-word tokens; people read words, labels and answer strings. Each task turns rows of
a `datasets.Dataset` into token features (`encode`), pads them into batches (`collator`), takes the
model's outputs per feature (`outputs`), maps them back onto the original rows (`postprocess`) and
scores them (`metrics`):

    file -read-> dataset -encode-> features -collator-> batches -model-> outputs -postprocess-> predictions

A task also knows its files (`read`, `file_name`, `format_predictions`), its schema (`features`),
the Hub data set that has that schema (`hub_name`, `from_hub`), its model class and peft task type,
its training defaults and its own options (`option_defaults`: max_length, and e.g. QA's doc_stride).
A task that a chat model can answer also words its rows as instructions (`chat_instructions`,
`to_chat`) and parses replies back into its own predictions (`from_reply`, `unparsed_prediction`).

Design choices, and why:
- Features are not padded: the collator pads each batch to its own longest row (dynamic
  padding), so short sentences do not pay for `max_length` positions they never use.
- Every feature keeps `example_index`, the row of the dataset it came from, so post-processing
  never relies on ids being unique and always returns predictions in the dataset's order.
- Labels that the loss must ignore are -100, the `ignore_index` of PyTorch's cross-entropy.
"""
import copy
import string
import uuid

from .. import interrupts
from .._io import atomic_write_text
from ..errors import ConfigError, DataError, UnknownChoiceError
from .reading import SPLITS, bundled_data_dir

IGNORE_INDEX = -100   # PyTorch's CrossEntropyLoss skips targets equal to this
# Columns that encode() keeps for post-processing; the collator never hands them to the model.
BOOKKEEPING_COLUMNS = ("example_index", "example_id", "offset_mapping", "word_ids")
# What a model is trained on; `collator(..., targets=False)` leaves them out for prediction.
TARGET_COLUMNS = ("labels", "start_positions", "end_positions")


def column_values(rows, name):
    """A column of a Dataset (or of a list of dicts) as a plain list."""
    if isinstance(rows, list):
        return [row[name] for row in rows]
    if name not in rows.column_names:
        raise ConfigError(f"features have no {name!r} column: make them with "
                          f"task.encode(..., train=False)")
    return list(rows[name])


def require_columns(dataset, columns, task):
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise DataError(f"{task} data needs the column(s) {', '.join(missing)}; "
                        f"it has {', '.join(dataset.column_names) or 'none'}")


def has_gold(dataset, column, required, is_gold=lambda value: value is not None,
             purpose="training"):
    """True when every row has a gold value in `column`; a DataError if `required` and not."""
    present = column in dataset.column_names and all(is_gold(v) for v in dataset[column])
    if required and not present:
        hint = "; pass train=False to encode data without labels" if purpose == "training" else ""
        raise DataError(f"{purpose} needs a gold {column!r} in every row{hint}")
    return present


def checked_max_length(max_length, tokenizer, pair=False):
    """`max_length` capped at the model's, checked to leave room for text beside the special tokens.

    A single text needs its special tokens plus one; a QA pair one question and one context token.
    Below that the tokenizer silently skips truncation, and NER loses every label (a NaN loss).
    """
    specials = tokenizer.num_special_tokens_to_add(pair=pair)
    least = specials + (2 if pair else 1)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < least:
        raise ConfigError(f"--max-length {max_length} leaves no room for text: this tokenizer adds "
                          f"{specials} special tokens, so give at least {least}")
    return min(max_length, tokenizer.model_max_length)


def tokenize_map(dataset, function):
    """Run `function(batch, indices)` over the dataset, keeping only the columns it returns.

    The map is quick, so its progress bar is hidden (and the setting restored afterwards). It gets
    a fresh fingerprint rather than one hashed from `function`: hashing pickles the tokenizer in the
    closure (slow), inside a bare `except:` that would swallow a Ctrl-C.
    """
    import datasets

    def checked(batch, indices):
        interrupts.reached("tokenize")
        interrupts.check()
        return function(batch, indices)
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        return dataset.map(checked, batched=True, with_indices=True,
                           remove_columns=dataset.column_names, new_fingerprint=uuid.uuid4().hex)
    finally:
        if bars:
            datasets.enable_progress_bars()


def group_by_example(features, outputs, num_examples):
    """For each dataset row, the positions of its features (and of their outputs)."""
    if len(outputs) != len(features):
        raise DataError(f"got {len(outputs)} outputs for {len(features)} features; "
                        f"give one output per feature, in feature order")
    groups = [[] for _ in range(num_examples)]
    for position, example in enumerate(column_values(features, "example_index")):
        if not 0 <= example < num_examples:
            raise DataError(f"a feature belongs to row {example}, but the dataset has "
                            f"{num_examples} rows: were the features made from this dataset?")
        groups[example].append(position)
    if not all(groups):
        raise DataError(f"row {groups.index([])} of the dataset has no features")
    return groups


def check_lengths(predictions, dataset):
    if len(predictions) != len(dataset):
        raise DataError(f"got {len(predictions)} predictions for {len(dataset)} examples")


class Collator:
    """Pads a list of features into a dict of tensors and drops the book-keeping columns.

    `token_labels=True` pads `labels` lists with -100 (NER); otherwise labels are scalars. With
    `targets=False` the training targets are dropped too, so the model predicts without a loss.
    """

    def __init__(self, tokenizer, token_labels=False, targets=True):
        from transformers import DataCollatorForTokenClassification, DataCollatorWithPadding
        kind = DataCollatorForTokenClassification if token_labels else DataCollatorWithPadding
        self.pad = kind(tokenizer, return_tensors="pt")
        self.drop = BOOKKEEPING_COLUMNS + (() if targets else TARGET_COLUMNS)

    def __call__(self, features):
        rows = [{k: v for k, v in f.items() if k not in self.drop} for f in features]
        return dict(self.pad(rows))


class Task:
    """What every task shares; a subclass fills in its files, encode, outputs, postprocess, metrics.

    Args:
        labels: label names to use when a dataset carries no ClassLabel feature (prediction
            inputs); pass the names a trained model was saved with when they differ from the defaults.
        **options: the task's own options, those in `option_defaults` (None keeps the default).
    """

    name = ""                    # the --task value, and the key in the registry
    main_metric = ""             # what early stopping and sweeps compare
    label_column = ""            # the dataset column with the gold labels (or answers)
    default_labels = None        # label names of a classification task; None: no label set (QA)
    token_labels = False         # True when `labels` holds one id per token
    option_defaults = {"max_length": 128}   # tokens per example (or window)
    defaults = {"epochs": 3, "batch_size": 32}   # training defaults, overriding TrainConfig's None
    model_class = ""             # the transformers auto class, e.g. "AutoModelForSequenceClassification"
    peft_task_type = ""          # peft's task_type, e.g. "SEQ_CLS"
    file_name = ""               # the bundled file of a split, e.g. "{split}.csv"
    hub_name = ""                # the Hub data set with this task's schema
    methods = ("lora", "full", "head")   # the --method values that make sense for the task
    chat_reply_tokens = 64       # the longest reply a chat model may give when asked this task
    chat_instructions = []       # templates of the question put to a chat model; [0] is canonical
    reward = None                # (task, reply, row) -> 0..1, a reply scored for RL (tasks/rewards.py)
    reward_reply_tokens = 16     # the longest reply sampled when RL trains on this task's questions

    def __init__(self, labels=None, **options):
        unknown = sorted(set(options) - set(self.option_defaults))
        if unknown:
            raise ConfigError(f"task {self.name} has no option {unknown[0]!r} "
                              f"(its options: {', '.join(self.option_defaults)})")
        labels = self.default_labels if labels is None else labels
        self.labels = list(labels) if labels is not None else None
        for name, default in self.option_defaults.items():
            setattr(self, name, default if options.get(name) is None else options[name])

    def relabelled(self, labels):
        """A copy of this task with the label names `labels` (None: the task's own); a task without
        a label set (QA, chat) is returned as it is."""
        if self.default_labels is None:
            return self
        task = copy.copy(self)
        task.labels = list(self.default_labels if labels is None else labels)
        return task

    def for_model(self, model):
        """This task with the label names that `model` (a classifier) was trained with."""
        id2label = model.config.id2label
        return self.relabelled([id2label[i] for i in range(len(id2label))])

    def load_model(self, labels=None, name_or_path=None, attention_dropout=None):
        """A pretrained body (`name_or_path`, default the bundled model) with a fresh head of this
        task's model class; `labels` size a classifier's head (ignored where the task has no label set)."""
        from ..pretrained import load_pretrained
        labels = labels if self.default_labels is not None else None
        return load_pretrained(self.model_class, name_or_path, labels, attention_dropout)

    def bundled_path(self, split):
        """The bundled file of one split ("train", "validation" or "test") of this task."""
        if split not in SPLITS:
            raise UnknownChoiceError(f"unknown split {split!r} (valid: {', '.join(SPLITS)})")
        return bundled_data_dir() / self.name / self.file_name.format(split=split)

    def bundled_split(self, split):
        """One bundled split of this task, read."""
        path = self.bundled_path(split)
        if not path.is_file():
            raise DataError(f"{path}: no such file; the bundled data is missing "
                            "(in a checkout, run: python tools/make_data.py)")
        return self.read(path)

    def label_names(self, dataset):
        """The dataset's ClassLabel names, else the task's own `labels` (None for QA)."""
        feature = dataset.features.get(self.label_column)
        feature = getattr(feature, "feature", feature)      # List(ClassLabel) for NER tags
        names = getattr(feature, "names", None)
        return list(names) if names else (list(self.labels) if self.labels else None)

    @staticmethod
    def base_model(name_or_path=None):
        """The model a run starts from: `name_or_path`, else the bundled all-MiniLM-L6-v2."""
        from ..pretrained import resolve_model
        return resolve_model(name_or_path)

    def head_names(self, model):
        """The top-level modules of `model` that are the task head, trained in full beside LoRA."""
        from ..pretrained import head_module_names
        return head_module_names(model)

    def training_set(self, dataset):
        """The rows a run trains on, made from the training split (the split itself here)."""
        return dataset

    @staticmethod
    def loss(model, batch):
        """The training loss of one batch (the model's own, from the `labels` in the batch)."""
        return model(**batch).loss

    def batch_outputs(self, model, batch, tokenizer):
        """The model's outputs for one batch of features, one per row (see `outputs`)."""
        return self.outputs(model(**batch), batch["attention_mask"].sum(dim=1).tolist())

    def ask(self, other):
        """The task that asks this run's model `other`'s questions: only a chat model can."""
        raise ConfigError(f"--task {other.name}: this run was trained for {self.name}, and only a chat "
                          f"run answers another task's questions")

    def model_metrics(self, model, tokenizer):
        """Metrics of a trained model that need no data file (none here; chat: general questions)."""
        return {}

    # -- the task asked as a chat (a chat run answers it; see lorakit/tasks/chat.py) ------------
    # `chat_instructions` are string.Template texts with the row's fields ($text, $sentence, ...);
    # the first one is the canonical wording that prediction uses, the others vary it for training.
    def to_chat(self, row, variant=0):
        """(messages, reply): one row of the task's dataset as a user turn, and its gold reply.

        `row` is a dict in the task's schema; `messages` is a list of {"role", "content"} dicts
        (user turns only: the model's chat template adds its own system turn); `reply` is the gold
        assistant reply as a string, None when the row has no gold label. `variant` picks the
        instruction template, modulo their number.
        """
        raise self._not_a_chat()

    def from_reply(self, reply, row):
        """The task's own prediction for `row` from a generated reply, or None if it does not parse."""
        raise self._not_a_chat()

    def unparsed_prediction(self, row):
        """A prediction that stands for a reply that did not parse: one scored as wrong."""
        raise self._not_a_chat()

    def chat_reply_pattern(self):
        """A regular expression that a chat model's replies are held to while generated (None: free text)."""
        return None

    def _user_turn(self, variant, **fields):
        """[one user message]: the instruction template `variant` filled with `fields`."""
        if not self.chat_instructions:
            raise self._not_a_chat()
        template = self.chat_instructions[variant % len(self.chat_instructions)]
        return [{"role": "user", "content": string.Template(template).substitute(fields)}]

    def _not_a_chat(self):
        return ConfigError(f"task {self.name} cannot be asked as a chat (it has no chat_instructions)")

    def collator(self, tokenizer, targets=True):
        """A callable: list of features -> dict of padded tensors the model takes."""
        return Collator(tokenizer, self.token_labels, targets)

    def dataset(self, columns, labelled=True):
        """A Dataset in the task's schema, without its label column when the file had no labels."""
        from datasets import Dataset
        features = self.features()
        if not labelled:
            del columns[self.label_column], features[self.label_column]
        return Dataset.from_dict(columns, features=features)

    def write_predictions(self, dataset, predictions, path):
        """Write `format_predictions(dataset, predictions)` to `path` atomically."""
        atomic_write_text(path, self.format_predictions(dataset, predictions))

    def _names(self, dataset):
        names = self.label_names(dataset)
        if not names:
            raise ConfigError(f"{self.name}: no label names; pass labels=[...] to the task")
        return names

    def _ids_to_names(self, ids, names):
        if not all(0 <= i < len(names) for i in ids):
            raise DataError(f"{self.name}: a label id is outside 0..{len(names) - 1} ({names})")
        return [names[i] for i in ids]
