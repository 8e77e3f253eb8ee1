"""An example model for ``lstm-shapes trace``: token ids -> embedding -> 2-layer
bidirectional LSTM -> linear head. Try it from the repository root::

    lstm-shapes trace docs/examples/tagger.py:Tagger --input-shape 32,50 --input-dtype int64

``broken_head``, ``batch_first_h0`` and ``forgot_batch_first`` are the same model with a
classic mistake each, to see what ``trace`` says when a model fails (or, worse, runs).
"""

from __future__ import annotations

import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(
        self,
        vocab_size: int = 1000,
        embedding_dim: int = 64,
        hidden_size: int = 128,
        num_classes: int = 5,
        head_features: int | None = None,
        batch_first: bool = True,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(
            embedding_dim, hidden_size, num_layers=2, batch_first=batch_first, bidirectional=True
        )
        self.head = nn.Linear(head_features or 2 * hidden_size, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)  # (N, L, embedding_dim)
        output, (hn, cn) = self.lstm(x)  # output (N, L, 2*hidden_size), hn (4, N, hidden_size)
        last = torch.cat((hn[-2], hn[-1]), dim=1)  # top layer, both directions: (N, 2*hidden)
        return self.head(last)  # (N, num_classes)


def broken_head() -> Tagger:
    """The head is built for one direction: a bidirectional LSTM gives twice as many."""
    return Tagger(head_features=128)


class BatchFirstState(Tagger):
    """Passes h0/c0 batch-first, (N, D*num_layers, H): h0 and c0 never follow batch_first."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)
        n = tokens.size(0)
        h0 = torch.zeros(n, 4, self.lstm.hidden_size)
        c0 = torch.zeros(n, 4, self.lstm.hidden_size)
        output, _ = self.lstm(x, (h0, c0))
        return self.head(output[:, -1])


def batch_first_h0() -> Tagger:
    return BatchFirstState()


def forgot_batch_first() -> Tagger:
    """The LSTM is built without batch_first=True but reads (N, L, embedding_dim): it runs,
    taking L for the batch, and the model returns one row per time step, not per sequence."""
    return Tagger(batch_first=False)
