"""Models as real code has them, for ``trace``'s tests: several inputs, dicts, states passed
in, cells in a loop, packing inside ``forward``, subclasses, no recurrent layer at all.
Each ``*_inputs`` function is an ``--inputs FILE:function``."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Speller(nn.Module):
    """Embedding, a packed bidirectional encoder, then two LSTMCells decoding ``steps``
    steps; takes ``(tokens, lengths)``."""

    def __init__(self, vocab: int = 30, emb: int = 8, hidden: int = 16, steps: int = 5) -> None:
        super().__init__()
        self.steps = steps
        self.embedding = nn.Embedding(vocab, emb)
        self.encoder = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.cell1 = nn.LSTMCell(2 * hidden, hidden)
        self.cell2 = nn.LSTMCell(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.encoder(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        context = out.mean(dim=1)
        h1 = c1 = h2 = c2 = torch.zeros(tokens.size(0), self.cell2.hidden_size)
        logits = []
        for _ in range(self.steps):
            h1, c1 = self.cell1(context, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            logits.append(self.out(h2))
        return torch.stack(logits, 1)


def speller_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randint(0, 30, (3, 9)), torch.tensor([9, 4, 6])


class Forecaster(nn.Module):
    """Takes one dict of tensors, as pytorch-forecasting's models do."""

    def __init__(self, hidden: int = 12) -> None:
        super().__init__()
        self.gru = nn.GRU(4, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out, _ = self.gru(x["encoder_cont"])
        return {"prediction": self.head(out[:, -1])}


def forecaster_inputs() -> dict[str, Any]:
    return {"x": {"encoder_cont": torch.randn(2, 10, 4), "encoder_lengths": torch.tensor([10, 8])}}


class WordModel(nn.Module):
    """The word language model of PyTorch's examples: ``forward(input, hidden)``."""

    def __init__(self, ntoken: int = 50, ninp: int = 10, nhid: int = 20, nlayers: int = 2) -> None:
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers, self.nhid = nlayers, nhid

    def forward(
        self, input: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, Any]:
        output, hidden = self.rnn(self.encoder(input), hidden)
        return self.decoder(output), hidden

    def init_hidden(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        return (
            torch.zeros(self.nlayers, batch, self.nhid),
            torch.zeros(self.nlayers, batch, self.nhid),
        )


def word_inputs() -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    return torch.randint(0, 50, (7, 3)), WordModel().init_hidden(3)


def word_inputs_as_args_and_kwargs() -> tuple[tuple[torch.Tensor], dict[str, Any]]:
    return (torch.randint(0, 50, (7, 3)),), {"hidden": WordModel().init_hidden(3)}


class CellLoop(nn.Module):
    """Only cells: a GRUCell and an RNNCell stepping through ``(L, N, H_in)``."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRUCell(5, 6)
        self.rnn = nn.RNNCell(6, 3, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = None
        outputs = []
        for t in range(x.size(0)):
            h = self.gru(x[t], h)
            outputs.append(self.rnn(h))
        return torch.stack(outputs)


class NoRecurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class LengthsLSTM(nn.LSTM):
    """An nn.LSTM subclass taking ``lengths=`` and packing inside its own forward, as
    pytorch-forecasting's ``LSTM`` does."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, hx: Any = None, lengths: torch.Tensor | None = None
    ) -> Any:
        if lengths is None:
            return super().forward(x, hx)
        packed = pack_padded_sequence(
            x, lengths, batch_first=self.batch_first, enforce_sorted=False
        )
        out, state = super().forward(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=self.batch_first)
        return out, state


class WithLengths(nn.Module):
    def __init__(self, hidden: int = 6) -> None:
        super().__init__()
        self.lstm = LengthsLSTM(3, hidden, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x, lengths=lengths)
        return out


def with_lengths_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(4, 5, 3), torch.tensor([5, 2, 3, 1])


class TimeMajorByMistake(nn.Module):
    """Feeds ``(N, L, H_in)`` to a batch_first=False LSTM: it runs, with N and L swapped."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 4)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.lstm(x)[0]


class RaisingCell(nn.Module):
    """Passes an LSTMCell a state for the wrong batch size on the third step."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = torch.zeros(x.size(1), 5)
        for t in range(x.size(0)):
            if t == 2:
                h = c = torch.zeros(x.size(1) + 1, 5)
            h, c = self.cell(x[t], (h, c))
        return h


def build_tagger(hidden_size: int, bidirectional: bool = False) -> nn.Module:
    """A factory that needs constructor arguments (``--init hidden_size=...``)."""

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(3, hidden_size, bidirectional=bidirectional)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lstm(x)[0]

    return Tagger()


def not_inputs() -> int:
    return 3


instance = NoRecurrent()


def forecaster_batch() -> dict[str, torch.Tensor]:
    """The batch dict itself, as a data loader yields it."""
    return dict(forecaster_inputs()["x"])


class WeightDrop(nn.Module):
    """AWD-LSTM's wrapper: calls the wrapped LSTM's ``forward`` directly (no hooks run)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: Any) -> Any:
        return self.module.forward(*args)


class Wrapped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = WeightDrop(nn.LSTM(4, 6))
        self.gru = nn.GRU(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, _ = self.rnn(x)
        return self.gru(input=x, hx=None)[0]


class Growing(nn.Module):
    """Attention over a growing history: the GRU is called with a new L at every step."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(3, 4, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.gru(x[:, : t + 1])[0][:, -1] for t in range(x.size(1))]
        return torch.stack(outputs, 1)
