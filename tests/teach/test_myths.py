"""Myths: every claim decided by a live run, with the verdicts torch gives."""

from __future__ import annotations

import json
from collections.abc import Callable

from lstm_shapes.probe.myths import run_myths
from lstm_shapes.teach.catalogue import messages
from lstm_shapes.teach.pages import myth_texts
from tests.conftest import Result, normalize

#: what torch says about each claim
VERDICTS = {
    "batch-first-moves-state": False,
    "cn-is-forget-gate": False,
    "bidirectional-state-is-time-x2": False,
    "output-is-last-step": False,
    "output-top-layer-hn-every-layer": True,
    "bidirectional-hn-slices": True,
    "last-step-is-both-directions": False,
    "default-state-random": False,
    "state-must-be-passed": False,
    "zeros-num-layers": False,
    "zeros-without-device": False,
    "linear-takes-hidden-size": False,
    "three-gate-blocks": False,
    "concat-one-matrix": True,
    "proj-size-shrinks-c": False,
    "packed-hn-is-padded-end": False,
    "input-must-be-3d": False,
    "bidirectional-doubles-parameters": False,
    "dropout-skips-last-layer": True,
}

#: design.md "Facts" -> the myths that disprove the wrong claim of each
FACTS = {
    1: ["batch-first-moves-state"],
    2: ["cn-is-forget-gate"],
    3: ["bidirectional-state-is-time-x2"],
    4: ["output-is-last-step", "output-top-layer-hn-every-layer", "bidirectional-hn-slices"],
    5: ["default-state-random"],
    6: ["packed-hn-is-padded-end"],
    7: ["proj-size-shrinks-c"],
    8: ["input-must-be-3d"],
    9: ["zeros-without-device", "zeros-num-layers"],
    10: ["three-gate-blocks", "bidirectional-doubles-parameters"],
}

#: wrong claims in the seed tutorials -> the myth that tests each
SEEDS = {
    "000/001: h0 and c0 are generated with random numbers": "default-state-random",
    "000/001: ct is the forget gate value": "cn-is-forget-gate",
    "000/001: bidirectional H and C are time axis * 2": "bidirectional-state-is-time-x2",
    "000/001: batch_first moves the batch to the front of h0/c0/ht/ct": "batch-first-moves-state",
    "000/001: output is the hidden layer at the last state": "output-is-last-step",
    "000/001: the Linear after the LSTM takes hidden_size": "linear-takes-hidden-size",
    "002: the model parameters are doubled by Bi-LSTM": "bidirectional-doubles-parameters",
    "002: [x(t), h(t-1)] through one fully connected layer": "concat-one-matrix",
    "003: LSTM has three gates": "three-gate-blocks",
    "003: h0 = torch.zeros(num_layers, ...) without device": "zeros-without-device",
    "003: states must be initialised for each batch": "state-must-be-passed",
    "003: out[:, -1, :] into the classifier": "last-step-is-both-directions",
}


def test_every_myth_is_decided_by_the_run_as_expected() -> None:
    myths = run_myths()
    assert len(myths) >= 10
    assert {m.id: m.holds for m in myths} == VERDICTS


def test_every_fact_and_seed_claim_has_a_myth() -> None:
    ids = set(VERDICTS)
    for fact, myth_ids in FACTS.items():
        assert set(myth_ids) <= ids, fact
    assert set(SEEDS.values()) <= ids


def test_evidence_carries_torch_numbers() -> None:
    by_id = {m.id: m for m in run_myths()}
    assert by_id["batch-first-moves-state"].values["hn"] == "(4, 3, 20)"
    assert "Expected hidden[0] size (4, 3, 20)" in by_id["zeros-num-layers"].values["error"]
    assert "not at the same device" in by_id["zeros-without-device"].values["error"]
    assert by_id["proj-size-shrinks-c"].values["cn"] == "(1, 3, 20)"
    assert by_id["three-gate-blocks"].values["rows"] == "80"


def test_myth_texts_in_both_languages() -> None:
    myths = run_myths()
    en, zh = myth_texts(messages("en"), myths), myth_texts(messages("zh"), myths)
    for a, b in zip(en, zh, strict=True):
        assert a["id"] == b["id"] and a["holds"] == b["holds"]
        assert a["claim"] != b["claim"] and a["evidence"] != b["evidence"]
        assert "{" not in str(a["evidence"]) + str(b["evidence"])


def test_json_shape(cli: Callable[..., Result]) -> None:
    result = cli("myths", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["lang"] == "en"
    assert [m["id"] for m in data["myths"]] == list(VERDICTS)
    for myth in data["myths"]:
        assert set(myth) == {"id", "claim", "holds", "evidence", "setup"}
        assert myth["holds"] is VERDICTS[myth["id"]]


def test_table_golden(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    result = cli("myths")
    assert result.exit_code == 0
    golden("teach/myths.txt", normalize(result.stdout))
    result = cli("myths", "--lang", "zh", "--format", "markdown")
    golden("teach/myths.zh.md", normalize(result.stdout))


def test_bad_lang(cli: Callable[..., Result]) -> None:
    result = cli("myths", "--lang", "fr")
    assert result.exit_code == 2
    assert result.stderr == "lstm-shapes: error: --lang must be one of en, zh (got 'fr')\n"
