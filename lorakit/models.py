"""Models: the pretrained bodies (`lorakit.pretrained`) and a task's model, by the task's name.

Example:
    >>> default_model().endswith("model")
    True
    >>> default_target_modules("distilbert"), default_target_modules("gpt2")
    (['q_lin', 'v_lin'], ['c_attn'])
"""
from .pretrained import (ATTENTION_DROPOUT_KEYS, CHAT_FILE, CHAT_HUB_NAME, CHAT_PACKAGE, TARGET_MODULES,
                         _quiet_transformers, attention_dropout_key, cache_dir, convert_gguf, default_chat_model,
                         default_model, default_target_modules, head_module_names, load_pretrained, load_tokenizer,
                         resolve_model)
from .tasks.by_name import load_task_model

__all__ = ["ATTENTION_DROPOUT_KEYS", "CHAT_FILE", "CHAT_HUB_NAME", "CHAT_PACKAGE", "TARGET_MODULES",
           "_quiet_transformers", "attention_dropout_key", "cache_dir", "convert_gguf", "default_chat_model",
           "default_model", "default_target_modules", "head_module_names", "load_pretrained", "load_task_model",
           "load_tokenizer", "resolve_model"]
