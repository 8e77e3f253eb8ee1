"""Writes the small checkpoints the docs inspect::

    python docs/examples/make_checkpoint.py
    lstm-shapes inspect docs/examples/zoo.pt --run
    lstm-shapes inspect docs/examples/speller.ckpt --run

``zoo.pt``: a training-loop style checkpoint (``{"epoch", "model_state_dict",
"optimizer_state_dict"}``) of a model with nested modules, a 2-layer bidirectional LSTM, an
LSTM with a projection, and a GRU and an RNN side by side.

``speller.ckpt``: what PyTorch Lightning writes, with a class of this script and numpy
values in the hyper-parameters, of a speller whose encoder LSTM has weight norm on its
recurrent weights and whose decoder is two LSTMCells.
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


class SpellerConfig:
    """A user's class in the hyper-parameters: pickled by reference to this script."""

    def __init__(self, vocab: int, hidden: int) -> None:
        self.vocab = vocab
        self.hidden = hidden


class Speller(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        from torch.nn.utils.parametrizations import weight_norm

        self.embedding = nn.Embedding(30, 8)
        self.encoder = weight_norm(nn.LSTM(8, 16, bidirectional=True), "weight_hh_l0")
        self.decoder1 = nn.LSTMCell(32, 16)
        self.decoder2 = nn.LSTMCell(16, 16)
        self.head = nn.Linear(16, 30)


def write_speller(path: Path) -> None:
    import numpy as np

    model = Speller()
    torch.save(
        {
            "epoch": 7,
            "global_step": np.int64(2100),
            "pytorch-lightning_version": "2.4.0",
            "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {"config": SpellerConfig(30, 16), "lr": np.float64(1e-3)},
            "optimizer_states": [torch.optim.Adam(model.parameters()).state_dict()],
            "lr_schedulers": [],
        },
        path,
    )
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    torch.manual_seed(0)
    write_speller(Path(__file__).with_name("speller.ckpt"))
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
