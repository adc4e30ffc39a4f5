"""The course's data: the bundled data sets, a task's files, and the Hub data sets in the same schema.

The loaders live with the tasks (`lorakit.tasks.by_name`, each task's `read` and `from_hub`); this
module is where a lesson finds them. Each takes a task's name or its Task.

Example:
    >>> dd = load_task_data("sentiment", max_examples=4)
    >>> {split: len(ds) for split, ds in dd.items()}
    {'train': 4, 'validation': 4, 'test': 4}
"""
from .tasks.by_name import SOURCES, bundled_path, load_hub, load_split, load_task_data, read_task_file, task_features
from .tasks.reading import bundled_data_dir

__all__ = ["SOURCES", "bundled_data_dir", "bundled_path", "load_hub", "load_split", "load_task_data",
           "read_task_file", "task_features"]
