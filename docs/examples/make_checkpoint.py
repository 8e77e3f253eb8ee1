"""Writes ``docs/examples/zoo.pt``, the small checkpoint the docs inspect::

    python docs/examples/make_checkpoint.py
    lstm-shapes inspect docs/examples/zoo.pt --run

A training-loop style checkpoint (``{"epoch", "model_state_dict", "optimizer_state_dict"}``)
of a model with nested modules, a 2-layer bidirectional LSTM, an LSTM with a projection,
and a GRU and an RNN side by side.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True)


class Zoo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.summary = nn.LSTM(32, 24, proj_size=6, batch_first=True)
        self.gru = nn.GRU(6, 12)
        self.rnn = nn.RNN(12, 4, nonlinearity="relu")
        self.head = nn.Linear(4, 3)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Zoo()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    path = Path(__file__).with_name("zoo.pt")
    torch.save(
        {
            "epoch": 12,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
        },
        path,
    )
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
