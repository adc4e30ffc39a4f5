"""A trained run as a standalone model: a merged transformers folder, or a GGUF file for llama.cpp.

    run (base + adapter) -merge_and_unload-> plain model -save_pretrained-> DIR/config.json (id2label),
                                                                            model.safetensors, tokenizer
                                             -write_gguf-> FILE.gguf (llama.cpp's names, f16 or q8_0)

The merged folder needs neither peft nor lorakit: `transformers.pipeline("text-classification",
model=DIR)` reads it. It also holds a lorakit.json (method "full"), so `lorakit predict --model-dir
DIR` reads it like any run. The GGUF writer knows the llama architecture (SmolLM2, Llama, Mistral
without sliding windows): its tensor names are llama.cpp's, and q_proj / k_proj rows are permuted to
llama.cpp's rotary layout, as llama.cpp's convert_hf_to_gguf.py does (transformers undoes it on reading).

Example (a chat run that `lorakit train` saved):
    merge_run("runs/chat", "runs/chat-merged")
    export_gguf("runs/chat", "chat.gguf", kind="q8_0")
"""
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from ._io import plain_mode, write_json
from .errors import ConfigError, WriteError
from .merge import merge_and_unload
from .runs import RUN_FILE, load_run, replace_folder

GGUF_KINDS = ("f16", "q8_0")
# HF module names inside a llama block -> llama.cpp's (gguf's MODEL_TENSOR names)
LLAMA_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
               "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
               "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
               "post_attention_layernorm": "ffn_norm"}


def merged_run(model_dir):
    """(plain model, tokenizer, info) of the run in `model_dir`, its adapter merged into the weights."""
    model, tokenizer, info = load_run(model_dir)
    if info["method"] in ("lora", "grpo"):
        model = merge_and_unload(model)
    return model.eval(), tokenizer, info


def merge_run(model_dir, out):
    """Write the run in `model_dir`, merged, as a standalone transformers folder `out` (staged beside
    it, then renamed into place; an existing `out` is refused). Returns `out` as a Path."""
    staged = _staged(out)                                  # refuses an existing `out` before loading
    model, tokenizer, info = merged_run(model_dir)
    with staged as stage:
        model.save_pretrained(stage)
        tokenizer.save_pretrained(stage)
        files = sorted(p.name for p in stage.iterdir()) + [RUN_FILE]
        write_json(stage / RUN_FILE, {**info, "method": "full", "merged_from": str(model_dir),
                                      "files": files})
    return out


class _staged:
    """`with _staged(out) as stage:` a hidden folder beside `out`, renamed to `out` when the block ends
    without error, deleted otherwise (an OSError becomes a one-line WriteError)."""

    def __init__(self, out):
        self.out = Path(out)
        if self.out.exists():
            raise WriteError(f"--out {self.out}: already exists; choose a new folder")

    def __enter__(self):
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.stage = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.partial-"))
        except OSError as e:
            raise WriteError(f"--out {self.out}: cannot create it ({e.strerror or e})") from None
        os.chmod(self.stage, plain_mode(folder=True))
        return self.stage

    def __exit__(self, kind, error, trace):
        try:
            if kind is None:
                replace_folder(self.stage, self.out)
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise WriteError(f"--out {self.out}: could not be written ({error.strerror or error})") from None
        return False


def export_gguf(model_dir, out, kind="f16"):
    """Merge the chat run in `model_dir` and write it as the GGUF file `out`. Returns `out` as a Path."""
    if kind not in GGUF_KINDS:
        raise ConfigError(f"--gguf-type {kind!r}: expected one of {', '.join(GGUF_KINDS)}")
    out = Path(out)
    if out.exists():
        raise WriteError(f"--out {out}: already exists; give a new file name ending in .gguf")
    model, tokenizer, _ = merged_run(model_dir)
    if getattr(model.config, "model_type", "") not in ("llama", "mistral"):
        raise ConfigError(f"--format gguf: {model_dir} is a {model.config.model_type} model; "
                          f"lorakit writes GGUF for llama-architecture chat models (e.g. SmolLM2)")
    write_gguf(model, tokenizer, out, kind)
    return out


def write_gguf(model, tokenizer, out, kind="f16"):
    """Write the llama-architecture `model` and its BPE `tokenizer` to the GGUF file `out`
    (written beside it, then renamed into place)."""
    import gguf
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    writer = gguf.GGUFWriter(str(partial), "llama")
    _write_metadata(writer, model.config, kind)
    _write_tokenizer(writer, tokenizer)
    for name, tensor in llama_tensors(model):
        _add_tensor(writer, name, tensor, kind)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, out)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise WriteError(f"--out {out}: could not be written ({e.strerror or e})") from None
    return out


def _write_metadata(writer, config, kind):
    import gguf
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    writer.add_name(Path(getattr(config, "_name_or_path", "") or "lorakit").name or "lorakit")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(float(getattr(config, "rope_theta", None)
                                    or (config.rope_parameters or {}).get("rope_theta", 10000.0)))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if kind == "q8_0" else gguf.LlamaFileType.MOSTLY_F16)


def _write_tokenizer(writer, tokenizer):
    """A byte-level BPE tokenizer as llama.cpp's "gpt2" model: tokens by id, merges, special ids."""
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    if state["model"]["type"] != "BPE":
        raise ConfigError(f"--format gguf: the tokenizer is {state['model']['type']}; lorakit writes BPE ones")
    vocab = tokenizer.get_vocab()                          # {token: id}, added tokens included
    tokens = [""] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    special = set(tokenizer.all_special_tokens)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in special else 1 for t in tokens])   # 3: control, 1: normal
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]])
    for name, token in (("bos", tokenizer.bos_token), ("eos", tokenizer.eos_token),
                        ("pad", tokenizer.pad_token), ("unk", tokenizer.unk_token)):
        if token is not None:
            getattr(writer, f"add_{name}_token_id" if name != "pad" else "add_pad_token_id")(vocab[token])
    writer.add_add_bos_token(False)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)


def llama_tensors(model):
    """(llama.cpp name, float32 numpy array) of every weight of a HF Llama model, q and k permuted.

    Example (a model with tied embeddings writes no output.weight: llama.cpp reuses token_embd):
        [name for name, _ in llama_tensors(model)][:3]
        ['token_embd.weight', 'output_norm.weight', 'blk.0.attn_q.weight']
    """
    config, state = model.config, model.state_dict()
    yield "token_embd.weight", state["model.embed_tokens.weight"]
    yield "output_norm.weight", state["model.norm.weight"]
    if not config.tie_word_embeddings:
        yield "output.weight", state["lm_head.weight"]
    for i in range(config.num_hidden_layers):
        for hf, name in LLAMA_NAMES.items():
            weight = state[f"model.layers.{i}.{hf}.weight"]
            if name == "attn_q":
                weight = rotary_permute(weight, config.num_attention_heads)
            elif name == "attn_k":
                weight = rotary_permute(weight, config.num_key_value_heads)
            yield f"blk.{i}.{name}.weight", weight


def rotary_permute(weight, heads):
    """Rows of a q or k projection from HF's rotary layout (halves) to llama.cpp's (pairs).

    >>> rotary_permute(torch.arange(4.).reshape(4, 1), heads=1).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    rows = weight.shape[0]                                   # (heads * head_dim, d_in)
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def _add_tensor(writer, name, tensor, kind):
    """f32 for vectors (norms), q8_0 where asked and the rows split in blocks of 32, f16 otherwise."""
    import gguf
    data = tensor.detach().float().cpu().numpy()
    if data.ndim == 1:
        writer.add_tensor(name, data.astype(np.float32))
    elif kind == "q8_0" and data.shape[-1] % gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0][0] == 0:
        quantized = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
        writer.add_tensor(name, quantized, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    else:
        writer.add_tensor(name, data.astype(np.float16))
