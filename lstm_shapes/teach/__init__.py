"""Teaching pages: the unrolled picture, the gates, LSTMCell, heads, myths, handouts."""
