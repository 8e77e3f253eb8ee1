"""Shape tests for a model's LSTM: the build fails when its shapes drift."""

import pytest
from torch import nn

from lstm_shapes import assert_lstm_shapes, make_spec


class Encoder(nn.Module):
    def __init__(self, vocab_size: int = 1000) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 32)
        self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True, bidirectional=True)


def test_encoder_lstm_shapes() -> None:
    # the real module: its configuration is read from its attributes
    assert_lstm_shapes(
        Encoder().lstm,
        input=(8, 50, 32),
        output=(8, 50, 128),
        hn=(4, 8, 64),
        cn=(4, 8, 64),
    )


def test_any_batch_size() -> None:
    # None: any size in that dimension
    assert_lstm_shapes(Encoder().lstm, input=(3, 50, 32), output=(None, 50, 128))


def test_from_a_spec() -> None:
    spec = make_spec(input_size=32, hidden_size=64, proj_size=16, batch=8, seq_len=50)
    assert_lstm_shapes(spec, output=(50, 8, 16), hn=(1, 8, 16), cn=(1, 8, 64))


def test_bad_h0_fails_with_the_cli_message() -> None:
    with pytest.raises(AssertionError, match=r"must be D\*num_layers = 2\*2 = 4"):
        assert_lstm_shapes(Encoder().lstm, input=(8, 50, 32), h0=(2, 8, 64))
