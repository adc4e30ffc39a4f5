"""The conversation readers: chat files (JSON Lines, TRL's conversational formats) into a Dataset.

    file      one conversation a line: {"messages": [{"role": "system"|"user"|"assistant",
              "content": str}, ...]} or {"prompt": ..., "completion": ...} (strings, or lists of
              messages); optional "answers": [str]; other keys are kept
    dataset   messages: [{role, content}], answers: [str], line: str (the line as read)

Every error names the file and the line. `lorakit.tasks.chat` is the task that trains on them.
"""
import json
from pathlib import Path

from datasets import Dataset, Features, List, Value

from ..errors import DataError
from .reading import KeyTwice, pairs_to_dict, read_text, split_lines, type_name

ROLES = ("system", "user", "assistant")


def chat_features():
    """The chat schema: messages, accepted answers and the line as read."""
    return Features({"messages": List({"role": Value("string"), "content": Value("string")}),
                     "answers": List(Value("string")), "line": Value("string")})


def chat_dataset(columns):
    """A Dataset in the chat schema; `answers` and `line` default to empty."""
    n = len(columns["messages"])
    columns = {"answers": [[] for _ in range(n)], "line": [""] * n, **columns}
    return Dataset.from_dict(columns, features=chat_features())


def ends_with_reply(messages):
    return bool(messages) and messages[-1]["role"] == "assistant"


def prompt_of(messages):
    """The conversation before its gold reply (all of it when it ends with a user's turn)."""
    return messages[:-1] if ends_with_reply(messages) else messages



def _turns(value, where, key):
    """A checked list of {role, content} turns (or a string, taken as one turn of `role`)."""
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: {key!r} must be a non-empty list of messages, found {type_name(value)}")
    turns = []
    for n, turn in enumerate(value, 1):
        if not isinstance(turn, dict) or "role" not in turn or "content" not in turn:
            raise DataError(f"{where}: {key} message {n} must be an object with 'role' and 'content'")
        if turn["role"] not in ROLES:
            raise DataError(f"{where}: {key} message {n} has role {turn['role']!r} (valid: {', '.join(ROLES)})")
        if not isinstance(turn["content"], str):
            raise DataError(f"{where}: {key} message {n}: 'content' must be a string, found "
                            f"{type_name(turn['content'])}")
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


def _conversation(record, where):
    """(messages, answers) of one JSON line, checked."""
    if isinstance(record, KeyTwice):
        raise DataError(f"{where}: key {record.twice!r} appears twice (give each key once)")
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected an object with 'messages' (or 'prompt' and 'completion'), "
                        f"found {type_name(record)}")
    if "messages" in record:
        messages = _turns(record["messages"], where, "messages")
    elif "prompt" in record:
        messages = []
        for key, role in (("prompt", "user"), ("completion", "assistant")):
            value = record.get(key)
            if isinstance(value, str):
                messages.append({"role": role, "content": value})
            elif value is not None:
                messages += _turns(value, where, key)
    else:
        raise DataError(f"{where}: missing 'messages' (or 'prompt' and 'completion')")
    answers = record.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise DataError(f"{where}: 'answers' must be a list of non-empty strings")
    if not any(t["role"] == "user" for t in messages):
        raise DataError(f"{where}: the conversation has no user message")
    return messages, answers


def read_chat(path, require_labels=True, task=None):
    """Read a chat file (JSON Lines, see the module docstring) into a Dataset.

    With `require_labels`, every conversation must end with the assistant's reply (what training
    learns); otherwise it may end with the user's turn (a prompt to answer).

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "chat.jsonl"
        >>> _ = p.write_text('{"prompt": "Hi!", "completion": "Hello."}\\n')
        >>> list(read_chat(p)["messages"])
        [[{'role': 'user', 'content': 'Hi!'}, {'role': 'assistant', 'content': 'Hello.'}]]
    """
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() not in (".jsonl", ".json"):
        raise DataError(f"{path}: unsupported file type {path.suffix or '(none)'!r} for chat (valid: .jsonl, .json)")
    columns = {"messages": [], "answers": [], "line": []}
    for n, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            record = json.loads(line, object_pairs_hook=pairs_to_dict)
        except json.JSONDecodeError as e:
            raise DataError(f"{where}, column {e.colno}: malformed JSON ({e.msg})") from None
        messages, answers = _conversation(record, where)
        if require_labels and not ends_with_reply(messages):
            raise DataError(f"{where}: the conversation must end with the assistant's reply to train on it")
        columns["messages"].append(messages)
        columns["answers"].append(answers)
        columns["line"].append(line.strip())
    if not columns["messages"]:
        raise DataError(f"{path}: no conversations")
    return task.dataset(columns) if task else chat_dataset(columns)
