"""Solutions to the exercises of notebooks/02_lora_gradients.ipynb.

Run from the repository root: python solutions/02_lora_gradients.py (every answer is checked by an assert).
"""
import math

import torch
from torch import nn

from lorakit import grads
from lorakit.exercises import nb02

dt = torch.float64
gen = torch.Generator().manual_seed(0)
n, d_in, d_out, r, s = 6, 10, 7, 3, 2.0
X = torch.randn(n, d_in, dtype=dt, generator=gen)
W0 = torch.randn(d_out, d_in, dtype=dt, generator=gen)
A = torch.randn(r, d_in, dtype=dt, generator=gen)
B = torch.randn(d_out, r, dtype=dt, generator=gen)
G = torch.randn(n, d_out, dtype=dt, generator=gen)

# Exercise 1. H_ij = sum_k X_ik (W0 + s B A)_jk, so dL/dX_ik = sum_j G_ij (W0 + s B A)_jk:
# dL/dX = G (W0 + s B A), (n, d_out) @ (d_out, d_in) = (n, d_in). It is the ordinary Linear backward
# through the merged weight: the layer below cannot tell LoRA from a plain layer with W0 + s B A.
def grad_x(X, W0, A, B, s, G):
    return G @ (W0 + s * B @ A)                          # (n, d_out) @ (d_out, d_in) = (n, d_in)


X_ = X.clone().requires_grad_(True)
grads.lora_forward(X_, W0, A, B, s).backward(G)
torch.testing.assert_close(X_.grad, grad_x(X, W0, A, B, s, G))
assert nb02.check_1(grad_x)
print("1. dL/dX = G (W0 + s B A) matches autograd")

# Exercise 2. A = 0, B random: dL/dB = s G^T (X A^T) = 0 (it needs A), dL/dA = s B^T G^T X != 0.
# B A = 0 still, so the model starts at the pretrained one. (peft offers this as an option too;
# the usual choice, B = 0, is the one of the LoRA paper.)
grad_A, grad_B = grads.lora_grads(X, W0, torch.zeros_like(A), B, s, G)
assert torch.count_nonzero(grad_B) == 0 and torch.count_nonzero(grad_A) > 0
torch.testing.assert_close(grads.lora_forward(X, W0, torch.zeros_like(A), B, s), X @ W0.T)
assert nb02.check_2("B", True)
print("2. A = 0: dL/dB = 0, dL/dA != 0, output = W0 x")

# Exercise 3. SGD from B = 0: B_1 = -lr dL/dB = -lr s G^T X A^T, so dW = s B_1 A = -lr s^2 G^T X A^T A.
# The layer of section 3: W0 frozen, A random (Kaiming-uniform), B zero, both factors trained.
torch.manual_seed(0)
W0_32 = torch.randn(d_out, d_in)
A_param = nn.Parameter(nn.init.kaiming_uniform_(torch.empty(r, d_in), a=math.sqrt(5)))   # (r, d_in)
B_param = nn.Parameter(torch.zeros(d_out, r))                                           # (d_out, r)
sc, lr = 8 / r, 0.05
x, y = torch.randn(n, d_in), torch.randn(n, d_out)
h = grads.lora_forward(x, W0_32, A_param, B_param, sc)
nn.functional.mse_loss(h, y).backward()
A0 = A_param.detach().clone()                            # A does not move: its gradient is 0
torch.optim.SGD([A_param, B_param], lr=lr).step()
torch.testing.assert_close(A_param.detach(), A0)
G32 = 2 * (h - y).detach() / h.numel()                   # d mse / dH


def delta_w(lr, s, G, X, A):
    return -lr * s ** 2 * G.T @ X @ A.T @ A              # (d_out, n)(n, d_in)(d_in, r)(r, d_in)


torch.testing.assert_close((sc * B_param @ A_param).detach(), delta_w(lr, sc, G32, x, A0))
assert nb02.check_3(delta_w)
print("3. one SGD step: dW = -lr s^2 G^T X A^T A")

# Exercise 4. dL/dz = (sigmoid(z) - y) / n, and sigmoid is in (0, 1), y in {0, 1}: |dL/dz| < 1/n for
# every z, approaching 1/n as a wrong answer becomes certain (in float32 it reaches it). The loss,
# -log sigmoid(z) for label 1, grows without bound, about |z|. So a badly wrong example pushes hard on
# the weights, but never harder than 1/n: one outlier cannot blow up a step.
losses, gradients = [], []
for z in nb02.Z_4:                                       # -1, -10, -100, -1000; n = 1, label 1
    loss, grad = grads.sigmoid_bce(torch.tensor([z]), torch.ones(1))
    losses.append(loss.item())
    gradients.append(grad.item())
assert all(abs(g) <= 1 for g in gradients) and gradients[-1] == -1.0
assert losses[-1] == 1000.0 and losses == sorted(losses)
assert torch.isinf(-torch.log(torch.sigmoid(torch.tensor(-1000.0))))      # the naive loss overflows
assert nb02.check_4(losses, gradients)
print("4. losses", [round(v, 4) for v in losses], "| gradients", [round(g, 6) for g in gradients])

# Check your understanding.
# 1. dL/dA = s B^T G^T X passes through B = 0; dL/dB = s G^T (X A^T) needs only A, which is random.
grad_A, grad_B = grads.lora_grads(X, W0, A, torch.zeros_like(B), s, G)
assert torch.count_nonzero(grad_A) == 0 and torch.count_nonzero(grad_B) > 0
assert nb02.question_1("A")
# 2. Adam: ||dW||_F ~ s lr sqrt(d_out r / 3) with s = alpha / r, so it goes as 1 / sqrt(r):
#    sqrt(4 / 16) = 0.5 from r = 4 to r = 16. Measured with the lesson's helper:
sizes = {row["r"]: row["update_lora"] for row in grads.update_size_by_rank([4, 16], d_in=256, d_out=256,
                                                                             lr=1e-3, optimizer="adam")}
ratio = sizes[16] / sizes[4]
assert abs(ratio - 0.5) < 0.05, ratio
assert nb02.question_2(0.5)
# 3. dL/dz = sigmoid(z) - y = 0.8 - 0 = 0.8 (n = 1).
z = torch.logit(torch.tensor([0.8], dtype=dt))
assert math.isclose(grads.sigmoid_bce(z, torch.zeros(1, dtype=dt))[1].item(), 0.8, rel_tol=1e-12)
assert nb02.question_3(0.8)
print(f"questions: A; measured ratio {ratio:.3f}; 0.8")
