"""Generation: greedy replies of a chat model, held to a format where the task has one.

    batch (left-padded prompts) -model.generate, greedy-> reply ids, each cut at its end-of-turn token

Two rules steer each step. `no_repeat_in_reply` forbids a token that would repeat one of the reply's
own 8-token sequences (a small model's greedy loop). `PatternGuide` is constrained ("structured")
decoding: the best token that keeps the reply a beginning of a text matching a regular expression
(NER's JSON list of [entity, type] pairs, `NerTask.chat_reply_pattern`).
"""
import functools

import torch


def pad_id(tokenizer):
    """The padding token id (the end-of-sequence token when the tokenizer has no padding token)."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id



NO_REPEAT_NGRAM = 8   # a reply never repeats one of its own 8-token sequences (see no_repeat_in_reply)


@torch.no_grad()
def generate(model, batch, tokenizer, max_new_tokens, pattern=None):
    """Greedy continuations of a left-padded batch, each cut after its end-of-turn token; a reply
    never repeats an 8-token sequence of its own (`no_repeat_in_reply`) and, given a regular
    expression `pattern`, always stays a beginning of a text that matches it (`PatternGuide`)."""
    from transformers import GenerationConfig, LogitsProcessorList
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=tokenizer.eos_token_id,
                              pad_token_id=pad_id(tokenizer))
    prompt_length = batch["input_ids"].shape[1]
    rules = [functools.partial(no_repeat_in_reply, prompt_length=prompt_length, n=NO_REPEAT_NGRAM)]
    if pattern is not None:
        rules.append(PatternGuide(pattern, tokenizer, prompt_length))
    out = model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                         generation_config=config, logits_processor=LogitsProcessorList(rules))
    replies = []
    for row in out[:, prompt_length:].tolist():
        end = row.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in row else len(row)
        replies.append(row[:end])
    return replies


def no_repeat_in_reply(input_ids, scores, prompt_length, n):
    """`scores` with -inf for every token that would repeat an `n`-gram the reply already holds.

    Greedy decoding of a small model can loop ([["Oil", "MISC"], ["Oil", "MISC"], ...] until the
    token limit, a reply that does not parse). transformers' `no_repeat_ngram_size` would stop it,
    but it counts the prompt too, so it would forbid copying any `n` tokens of the prompt: a long
    answer span of the passage, or the instruction's own example reply; here only the reply's own
    tokens (after `prompt_length`) count.

    >>> ids = torch.tensor([[9, 9, 1, 2, 3, 1, 2]])    # prompt [9, 9], reply [1, 2, 3, 1, 2]
    >>> no_repeat_in_reply(ids, torch.zeros(1, 5), 2, 3)   # "1 2" came before, followed by 3
    tensor([[0., 0., 0., -inf, 0.]])
    """
    reply = input_ids[:, prompt_length:]                       # (B, L)
    if reply.shape[1] < n:
        return scores
    windows = reply[:, :-1].unfold(1, n - 1, 1)                # (B, L-n+1, n-1): each (n-1)-gram with a next token
    hits = (windows == reply[:, None, -(n - 1):]).all(-1)      # (B, L-n+1): it equals the reply's last n-1 tokens
    rows, starts = hits.nonzero(as_tuple=True)
    scores[rows, reply[rows, starts + n - 1]] = float("-inf")  # the token that followed it there
    return scores


class PatternGuide:
    """Greedy decoding held to a format: the best-scoring token that keeps the reply a beginning of
    a text that fully matches `pattern` (a regular expression) wins; the end-of-turn token only where
    the reply already matches. Called with (input_ids, scores) like a transformers logits processor;
    it leaves every other score at -inf.

    This is constrained ("structured") decoding, as in llama.cpp's grammars or Outlines: a small
    model that has learned the entities may still slip on the JSON around them (a bracket too
    many), and such a reply scores as no entities at all. The guide changes the chosen token only
    where the model's own choice would break the format, and tries the next best tokens in order,
    so it costs little where the model keeps to the format anyway.

    Example: a reply held to one digit, then a full stop (token ids are characters here).
        >>> class Chars:
        ...     eos_token_id = 0
        ...     def decode(self, ids, skip_special_tokens=True): return "".join(chr(i) for i in ids)
        >>> guide = PatternGuide(r"[0-9][.]", Chars(), prompt_length=1)
        >>> scores = torch.zeros(1, 128); scores[0, ord("x")] = 2.0; scores[0, ord("7")] = 1.0
        >>> chr(guide(torch.tensor([[ord("?")]]), scores).argmax().item())   # "x" would not fit
        '7'
    """

    def __init__(self, pattern, tokenizer, prompt_length):
        import regex   # partial matches ("could this still match?"), which `re` lacks
        self.pattern, self.tokenizer, self.prompt_length = regex.compile(pattern), tokenizer, prompt_length

    def fits(self, ids, token):
        """True when the reply `ids` followed by `token` can still become (or, at the end, is) a match."""
        if token == self.tokenizer.eos_token_id:
            return self.pattern.fullmatch(self.tokenizer.decode(ids, skip_special_tokens=True)) is not None
        text = self.tokenizer.decode(ids + [token], skip_special_tokens=True)
        return self.pattern.fullmatch(text, partial=True) is not None

    def __call__(self, input_ids, scores):
        for row, ids in enumerate(input_ids[:, self.prompt_length:].tolist()):
            if self.tokenizer.eos_token_id in ids:                # finished: only padding follows
                continue
            best = next((token for token in best_first(scores[row]) if self.fits(ids, token)), None)
            if best is not None:
                kept = scores[row, best].clone()
                scores[row] = float("-inf")
                scores[row, best] = kept
        return scores


def best_first(scores, head=32):
    """Token ids by falling score, the -inf ones left out: the best `head` found cheaply (topk), the
    rest sorted only if the caller asks for more.

    >>> list(best_first(torch.tensor([0.5, float("-inf"), 2.0, 1.0]), head=2))
    [2, 3, 0]
    """
    top = scores.topk(min(head, scores.numel()))
    tried = top.indices.tolist()
    for score, token in zip(top.values.tolist(), tried):
        if score == float("-inf"):
            return
        yield token
    tried = set(tried)
    ranked = scores.sort(descending=True)
    for score, token in zip(ranked.values.tolist(), ranked.indices.tolist()):
        if score == float("-inf"):
            return
        if token not in tried:
            yield token
