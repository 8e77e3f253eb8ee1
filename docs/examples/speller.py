"""An example model for ``lstm-shapes trace`` with more than one input: token ids and their
lengths -> embedding -> packed bidirectional LSTM encoder -> two LSTMCells decoding a few
steps. Try it from the repository root::

    lstm-shapes trace docs/examples/speller.py:Speller --inputs docs/examples/speller.py:batch

``batch`` returns the model's positional arguments, ``(tokens, lengths)``: a batch of three
sequences of 9, 4 and 6 tokens, padded to 9.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Speller(nn.Module):
    def __init__(
        self, vocab_size: int = 30, embedding_dim: int = 8, hidden_size: int = 16, steps: int = 5
    ) -> None:
        super().__init__()
        self.steps = steps
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.encoder = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.cell1 = nn.LSTMCell(2 * hidden_size, hidden_size)
        self.cell2 = nn.LSTMCell(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)  # (N, L, embedding_dim)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.encoder(packed)  # packed: only the real steps
        output, _ = pad_packed_sequence(output, batch_first=True)  # (N, L, 2*hidden_size)
        context = output.mean(dim=1)  # (N, 2*hidden_size)
        n = tokens.size(0)
        h1 = c1 = h2 = c2 = torch.zeros(n, self.cell2.hidden_size)  # cells: (N, H)
        logits = []
        for _ in range(self.steps):  # one call of each cell per step
            h1, c1 = self.cell1(context, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            logits.append(self.out(h2))
        return torch.stack(logits, dim=1)  # (N, steps, vocab_size)


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    """``(tokens, lengths)``: positional arguments of ``Speller.forward``."""
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 30, (3, 9), generator=generator)
    return tokens, torch.tensor([9, 4, 6])
