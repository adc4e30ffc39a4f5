"""The course's figures, drawn with matplotlib: a picture before the algebra (COURSE.md).

One module per part of the course, each function drawing one figure and returning its
`matplotlib.figure.Figure` (nothing is shown or saved as a side effect; a notebook cell that ends
with the figure displays it):

- `lorakit.figures.method`: lessons 01-04 (the update's singular values, the LoRA bypass with its
  shapes, the training loop);
- `lorakit.figures.tasks`: lessons 05-07 (the three task heads and what they score);
- `lorakit.figures.understanding`: lessons 08 and 10 (rank against accuracy and parameters, the
  update's spectrum);
- `lorakit.figures.hyper`: lesson 09 (accuracy against the learning rate, each setting's best marked);
- `lorakit.figures.llm`: lessons 11-13 (the chat template, the masked chat loss with the scored
  tokens highlighted, forgetting);
- `lorakit.figures.rl`: lesson 14 (a group of replies with their rewards and advantages, reward curves);
- `lorakit.figures.production`: lesson 17 (what linear, TIES and DARE keep of two updates, the
  inference time merged and unmerged);
- `lorakit.figures.clinic`: lesson 18 (loss curves of sick runs, the update's norms per layer);
- `lorakit.figures.adapters`: lessons 15 and 16 (the NF4 levels on a normal weight histogram, the
  variants).

Example:
    >>> from lorakit.figures import method
    >>> type(method.lora_bypass(d_in=384, d_out=384, r=8)).__name__
    'Figure'
"""
