"""Quote attribution: the extractor (on sentences written for these tests) and its evaluator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventcoder.attribution_eval import evaluate_attributions, format_attribution_scores
from eventcoder.errors import DictionaryError
from eventcoder.stages.attribution import (
    SPEAKER_KINDS,
    Attribution,
    AttributionCues,
    extract_attributions,
    find_quotes,
    load_attribution_cues,
)

# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cues() -> AttributionCues:
    return load_attribution_cues()


@pytest.fixture(scope="module")
def nlp() -> Any:
    from eventcoder.settings import load_settings
    from eventcoder.stages.nlp import load_nlp

    return load_nlp(load_settings().models)


@pytest.fixture(scope="module")
def attrs(nlp: Any, cues: AttributionCues) -> Any:
    def run(text: str) -> list[Attribution]:
        return extract_attributions(nlp(text), cues)

    return run


def only(found: list[Attribution]) -> Attribution:
    assert len(found) == 1, [(a.cue_text, a.content_text) for a in found]
    return found[0]


def by_cue(found: list[Attribution], cue: str) -> Attribution:
    hits = [a for a in found if a.cue_text == cue]
    assert hits, [a.cue_text for a in found]
    return hits[0]


def speaker(a: Attribution) -> str | None:
    return a.speaker.text if a.speaker else None


def who_said_what(found: list[Attribution]) -> list[tuple[str | None, str, str]]:
    return [(speaker(a), a.cue_text, a.content_text) for a in found]


def check_spans(text: str, found: list[Attribution]) -> None:
    for a in found:
        assert text[a.cue_start : a.cue_end] == a.cue_text
        assert text[a.content_start : a.content_end] == a.content_text
        if a.speaker:
            assert text[a.speaker.start : a.speaker.end] == a.speaker.text
            assert a.speaker.kind in SPEAKER_KINDS


# ------------------------------------------------------------------------- quotation marks (no model)


def test_quotes_straight_curly_single_and_doubled_apostrophes() -> None:
    text = "He said \"yes\" and “no”, then ‘maybe,’ and ''perhaps.'' Don’t split the Smiths’ house."
    found = [text[s:e] for s, e in find_quotes(text)]
    assert found == ['"yes"', "“no”", "‘maybe,’", "''perhaps.''"]


def test_quote_left_open_at_paragraph_end_continues_into_a_paragraph_opening_with_a_quote() -> None:
    text = "She said: “The first part.\n\n“The second part.”\n\nNot quoted."
    assert [text[s:e] for s, e in find_quotes(text)] == ["“The first part.\n\n“The second part.”"]


def test_quote_left_open_ends_with_its_paragraph_when_the_next_one_is_not_quoted() -> None:
    text = 'He said: "It is over.\n\nThe vote was held later.'
    assert [text[s:e] for s, e in find_quotes(text)] == ['"It is over.']


def test_mistyped_curly_marks_are_read_by_their_place() -> None:
    # an opening mark after a comma and before a space closes; a closing mark at a line start opens
    text = "\u201cIt is unusual,\u201c she said.\n\u201dWe will see,\u201d he said."
    assert [text[s:e] for s, e in find_quotes(text)] == [
        "\u201cIt is unusual,\u201c",
        "\u201dWe will see,\u201d",
    ]


# ------------------------------------------------------------------------------- lexicon (no model)


def test_cue_lexicon_is_data(cues: AttributionCues) -> None:
    assert {"say", "tell", "add", "write", "warn", "insist", "deny", "accuse", "claim", "argue"} <= (
        cues.speech_verbs | cues.object_verbs
    )
    assert ("according", "to") in cues.source_phrases
    assert cues.channels["press conference"] == "press conference"
    assert {"deny", "reject", "dismiss", "refute"} <= cues.denial_verbs
    assert "fake news" in cues.denial_phrases and "never heard of" in cues.denial_phrases


def test_cue_lexicon_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "cues.json"
    path.write_text(json.dumps({"speech_verbs": ["Say"], "channels": {"Interview": "interview"}}))
    cues = load_attribution_cues(path)
    assert cues.speech_verbs == frozenset(["say"]) and cues.channels == {"interview": "interview"}
    assert cues.object_verbs == frozenset()


def test_cue_lexicon_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cues.json"
    path.write_text(json.dumps({"note": "mine", "speech_verbs": ["say"], "source_noun": ["poll"]}))
    with pytest.raises(DictionaryError, match="source_noun"):
        load_attribution_cues(path)


# ------------------------------------------------------------------------------ direct quotes


@pytest.mark.model
def test_direct_quote_curly_marks_speaker_after(attrs: Any) -> None:
    text = "“We will not give up the port,” Defence Minister Maria Ortega said on Tuesday."
    found = attrs(text)
    check_spans(text, found)
    a = only(found)
    assert a.content_text == "“We will not give up the port,”"
    assert (speaker(a), a.cue_text, a.form) == ("Defence Minister Maria Ortega", "said", "direct")
    assert a.speaker and a.speaker.name == "Maria Ortega" and a.speaker.kind == "named_person"
    assert a.speaker.head_token == 13 and a.sentence_index == 0


@pytest.mark.model
def test_direct_quote_straight_marks_inverted_speaker_with_apposition(attrs: Any) -> None:
    a = only(attrs('"The talks are over," said Jane Okafor, a spokeswoman for the coalition.'))
    assert a.content_text == '"The talks are over,"'
    assert speaker(a) == "Jane Okafor, a spokeswoman for the coalition"
    assert a.form == "direct"


@pytest.mark.model
def test_direct_quote_single_marks(attrs: Any) -> None:
    a = only(attrs("‘We have done nothing wrong,’ she said."))
    assert (a.content_text, speaker(a), a.form) == ("‘We have done nothing wrong,’", "she", "direct")


@pytest.mark.model
def test_quote_split_by_the_cue_is_one_content(attrs: Any) -> None:
    text = "“The harbour will reopen,” Mayor Tomas Lind said, “but not before the inspectors finish.”"
    a = only(attrs(text))
    assert a.content_start == 0 and a.content_end == len(text)
    assert (speaker(a), a.cue_text, a.form) == ("Mayor Tomas Lind", "said", "direct")


@pytest.mark.model
def test_colon_introduction_and_quote_across_paragraphs(attrs: Any) -> None:
    text = (
        "Senator Paul Brandt said: “The budget is a disgrace.\n\n"
        "“It punishes farmers and it punishes nurses.”\n\nThe vote is due on Friday."
    )
    a = only(attrs(text))
    assert a.cue_text == "said:"
    assert a.content_text == "“The budget is a disgrace.\n\n“It punishes farmers and it punishes nurses.”"
    assert a.form == "direct"


@pytest.mark.model
def test_media_colon_introduction_without_quotation_marks(attrs: Any) -> None:
    a = only(attrs("The Times reports: the cabinet will resign before the summer."))
    assert (speaker(a), a.cue_text) == ("The Times", "reports:")
    assert a.content_text == "the cabinet will resign before the summer"
    assert a.speaker and a.speaker.kind == "media"


@pytest.mark.model
def test_nested_reports_inside_a_quote_are_not_attributions(attrs: Any) -> None:
    text = "“My brother told me they said the bridge was closed,” the driver said."
    a = only(attrs(text))
    assert (speaker(a), a.cue_text) == ("the driver", "said")


# ------------------------------------------------------------------------- indirect and mixed


@pytest.mark.model
def test_reporting_verbs_with_that_clauses(attrs: Any) -> None:
    text = (
        "The minister told reporters that the ceasefire would hold. She added that aid convoys would move "
        "on Monday. The general wrote that his troops had withdrawn. The envoy warned that sanctions would "
        "follow. The governor insisted that the election was fair."
    )
    found = attrs(text)
    check_spans(text, found)
    got = [(speaker(a), a.cue_text, a.content_text, a.form) for a in found]
    assert got == [
        ("The minister", "told", "that the ceasefire would hold", "indirect"),
        ("She", "added", "that aid convoys would move on Monday", "indirect"),
        ("The general", "wrote", "that his troops had withdrawn", "indirect"),
        ("The envoy", "warned", "that sanctions would follow", "indirect"),
        ("The governor", "insisted", "that the election was fair", "indirect"),
    ]
    assert [a.sentence_index for a in found] == [0, 1, 2, 3, 4]


@pytest.mark.model
def test_adding_that_after_a_quotation_has_its_own_content(attrs: Any) -> None:
    text = "\u201cNobody cares about the money,\u201d the official said, adding that small donors may balk."
    assert who_said_what(attrs(text)) == [
        ("the official", "said", "\u201cNobody cares about the money,\u201d"),
        ("the official", "adding", "that small donors may balk"),
    ]


@pytest.mark.model
def test_speech_verb_whose_clause_the_parse_hangs_elsewhere(attrs: Any) -> None:
    # the parser attaches "that the bridge ..." to "interview"; the clause is still what the mayor said
    a = only(
        attrs(
            "The mayor said on Friday during a radio interview that the bridge may stay closed until spring."
        )
    )
    assert (speaker(a), a.cue_text) == ("The mayor", "said")
    assert a.content_text == "that the bridge may stay closed until spring"


@pytest.mark.model
def test_speaker_never_starts_with_the_closing_mark_of_the_quotation_before(attrs: Any) -> None:
    # the parser attaches the closing mark to "Okafor" here
    text = "\u201cThat is a fair concern, because they are very passionate,\u201d Okafor, 69, told a TV host."
    a = only(attrs(text))
    assert a.speaker is not None and a.speaker.text.startswith("Okafor")


@pytest.mark.model
def test_a_relative_clause_ending_an_indirect_content_is_left_out(attrs: Any) -> None:
    found = attrs("The governor said that the senator would win Ohio, where her father was born.")
    assert only(found).content_text == "that the senator would win Ohio"
    found = attrs("She said the plan, which was drafted in May, would pass.")  # not at the end: kept
    assert only(found).content_text == "the plan, which was drafted in May, would pass"


@pytest.mark.model
def test_referred_to_as_keeps_the_as_phrase(attrs: Any) -> None:
    a = only(attrs("The cleric has often referred to the neighbouring state as \u201cthe great enemy.\u201d"))
    assert (speaker(a), a.cue_text) == ("The cleric", "has often referred to")
    assert a.content_text == "the neighbouring state as \u201cthe great enemy.\u201d"


@pytest.mark.model
def test_claimed_argued_accused(attrs: Any) -> None:
    text = (
        "The opposition leader claimed the vote had been rigged. Analysts argued that the currency "
        "would fall. The prime minister accused the rebels of shelling the town."
    )
    assert who_said_what(attrs(text)) == [
        ("The opposition leader", "claimed", "the vote had been rigged"),
        ("Analysts", "argued", "that the currency would fall"),
        ("The prime minister", "accused", "the rebels of shelling the town"),
    ]


@pytest.mark.model
def test_auxiliaries_and_adverbs_belong_to_the_cue(attrs: Any) -> None:
    a = only(attrs("The mayor has repeatedly said that the budget is balanced."))
    assert a.cue_text == "has repeatedly said"


@pytest.mark.model
def test_mixed_quote(attrs: Any) -> None:
    a = only(attrs("President Alma Reyes said the plan was “dead on arrival.”"))
    assert a.content_text == "the plan was “dead on arrival.”"
    assert a.form == "mixed"


@pytest.mark.model
def test_according_to_before_and_after_the_clause(attrs: Any) -> None:
    a = only(attrs("According to the United Nations, about 4,000 people have fled the valley."))
    assert (speaker(a), a.cue_text, a.content_text) == (
        "the United Nations",
        "According to",
        "about 4,000 people have fled the valley",
    )
    b = only(attrs("The army withdrew from the town, according to local officials."))
    assert (speaker(b), b.cue_text, b.content_text) == (
        "local officials",
        "according to",
        "The army withdrew from the town",
    )
    assert b.speaker and b.speaker.kind == "anonymous"


@pytest.mark.model
def test_in_a_statement_is_part_of_the_cue_and_the_channel(attrs: Any) -> None:
    a = only(attrs("The ministry said in a statement that the border crossing would close at midnight."))
    assert a.cue_text == "said in a statement"
    assert a.content_text == "that the border crossing would close at midnight"
    assert a.channel == "statement"
    assert a.speaker and a.speaker.kind == "government"


# ---------------------------------------------------------------------- passives and headlines


@pytest.mark.model
def test_passive_reports(attrs: Any) -> None:
    text = "It was reported that the talks had collapsed. Officials were quoted as saying the port was shut."
    first, second = attrs(text)
    assert (first.speaker, first.cue_text, first.content_text) == (
        None,
        "was reported",
        "that the talks had collapsed",
    )
    assert (speaker(second), second.cue_text, second.content_text) == (
        "Officials",
        "were quoted as saying",
        "the port was shut",
    )


@pytest.mark.model
def test_passive_with_an_agent_has_the_subject_as_content(attrs: Any) -> None:
    text = "The move was first reported by the local newspaper. The mayor has been criticized by his rivals."
    assert who_said_what(attrs(text)) == [
        ("the local newspaper", "was first reported by", "The move"),
        ("his rivals", "has been criticized by", "The mayor"),
    ]


@pytest.mark.model
def test_passive_without_a_source_is_not_an_attribution(attrs: Any) -> None:
    assert attrs("The senator was asked about the budget on Monday.") == []


@pytest.mark.model
def test_headline_colon(attrs: Any) -> None:
    a = only(attrs("Reyes: We Will Not Sign the Treaty\n\nThe talks resume on Monday."))
    assert (speaker(a), a.cue_text, a.content_text) == ("Reyes", ":", "We Will Not Sign the Treaty")


@pytest.mark.model
def test_headline_dash_attribution(attrs: Any) -> None:
    text = "Russia Moves Troops Closer to Border – U.S. Media\n\nThe report could not be confirmed."
    a = only(attrs(text))
    assert (speaker(a), a.cue_text) == ("U.S. Media", "–")
    assert a.content_text == "Russia Moves Troops Closer to Border"
    assert a.speaker and a.speaker.kind == "media"


@pytest.mark.model
def test_transcript_speaker_labels(attrs: Any) -> None:
    text = (
        "Part of the broadcast follows.\n\n"
        "MARIA LOPEZ: The council voted on Friday. Take a listen.\n\n"
        "LOPEZ: And do you think the vote was fair?\n\n"
        "UPDATE: This story was changed on Saturday.\n\n"  # a section label, not a speaker
        "Q: Is it over?\n\n"  # interviews' Q and A are left alone
    )
    assert who_said_what(attrs(text)) == [
        ("MARIA LOPEZ", ":", "The council voted on Friday. Take a listen."),
        ("LOPEZ", ":", "And do you think the vote was fair?"),
    ]


@pytest.mark.model
def test_a_name_and_a_colon_before_a_quotation(attrs: Any) -> None:
    text = (
        "POLLS MISSED THE LATE SWING - Maria Lopez: \u201cThe polls stopped too early.\u201d "
        "From the report: \u201cLate deciders broke for the challenger.\u201d"
    )
    assert who_said_what(attrs(text)) == [
        ("Maria Lopez", ":", "\u201cThe polls stopped too early.\u201d"),
        ("the report", ":", "\u201cLate deciders broke for the challenger.\u201d"),
    ]


@pytest.mark.model
def test_quotations_signed_with_a_dash_and_a_name(attrs: Any) -> None:
    text = (
        "Readers wrote in after the vote.\n\n"
        "\u201cThe bridge should have been repaired years ago.\u201d \u2015 Maria Okafor\n"
        "\u201cNobody asked the farmers what they need.\u201d\u2014 Tomas Lindqvist.\n"
        # a mistyped opening mark: the quotation cannot be paired, so the whole line is the content
        "\u201dWe will vote again in spring.\u201d \u2013 Anna Berg\n\n"
        "The council meets on Friday \u2013 and then again in May.\n"
        "\u201cSee you there.\u201d\u2014Ines"  # a name glued to the dash: no speaker span to give
    )
    found = attrs(text)
    assert who_said_what(found) == [
        ("Maria Okafor", "\u2015", "\u201cThe bridge should have been repaired years ago.\u201d"),
        ("Tomas Lindqvist", "\u2014", "\u201cNobody asked the farmers what they need.\u201d"),
        ("Anna Berg", "\u2013", "\u201dWe will vote again in spring.\u201d"),
    ]
    check_spans(text, found)


# ------------------------------------------------------------------------- speakers and names


@pytest.mark.model
def test_pronoun_and_surname_speakers_resolve_to_the_full_name(attrs: Any) -> None:
    text = (
        "Jake Sullivan, the national security adviser, met the delegation on Monday. "
        "Sullivan said the meeting was productive. He said the two sides would meet again in June."
    )
    first, second = attrs(text)
    assert first.speaker and (first.speaker.text, first.speaker.name) == ("Sullivan", "Jake Sullivan")
    assert second.speaker and (second.speaker.text, second.speaker.name) == ("He", "Jake Sullivan")
    assert second.speaker.kind == "named_person"


@pytest.mark.model
def test_pronoun_skips_a_person_of_the_other_gender(attrs: Any) -> None:
    text = (
        "Mr. Daniel Okoro met Ms. Lena Varga in Vienna. Mr. Okoro thanked the hosts. "
        "She said the talks would go on."
    )
    a = by_cue(attrs(text), "said")
    assert a.speaker and (a.speaker.text, a.speaker.name) == ("She", "Lena Varga")


@pytest.mark.model
def test_title_speaker_resolves_to_the_named_holder(attrs: Any) -> None:
    text = (
        "The State Department spokesman, Ned Collins, spoke to reporters on Friday. "
        "The spokesman said the embassy would stay open."
    )
    a = only(attrs(text))
    assert a.speaker and (a.speaker.text, a.speaker.name) == ("The spokesman", "Ned Collins")
    assert a.speaker.kind == "official_role"


@pytest.mark.model
def test_relative_pronoun_speaker(attrs: Any) -> None:
    text = "The vote was delayed by Senator Ida Marsh, who said the bill needed more work."
    a = by_cue(attrs(text), "said")
    assert a.speaker and (a.speaker.text, a.speaker.name) == ("who", "Ida Marsh")


@pytest.mark.model
def test_speaker_kinds(attrs: Any) -> None:
    text = (
        "Officials familiar with the matter said the deal was close. The Kremlin said the sanctions were "
        "illegal. Reuters reported that the ship had sunk. A report by the panel found that the agency had "
        "failed. Protesters said they would return. The company said profits had fallen."
    )
    kinds = [(a.speaker.text, a.speaker.kind) for a in attrs(text) if a.speaker]
    assert kinds == [
        ("Officials familiar with the matter", "anonymous"),
        ("The Kremlin", "government"),
        ("Reuters", "media"),
        ("A report by the panel", "document"),
        ("Protesters", "unnamed_group"),
        ("The company", "organization"),
    ]


@pytest.mark.model
def test_nested_source_goes_to_via(attrs: Any) -> None:
    a = only(attrs("The New York Times said, citing anonymous officials, that the talks had failed."))
    assert speaker(a) == "anonymous officials"
    assert a.speaker and a.speaker.kind == "anonymous"
    assert [(v.text, v.kind) for v in a.via] == [("The New York Times", "media")]
    assert a.content_text == "that the talks had failed"


@pytest.mark.model
def test_citing_a_reason_is_its_own_attribution_not_a_source(attrs: Any) -> None:
    text = "\u201cIt is not a hard race,\u201d he said, citing the mayor\u2019s appeal and its debts."
    got = [(speaker(a), a.cue_text, a.content_text, [v.text for v in a.via]) for a in attrs(text)]
    assert got == [
        ("he", "said", "\u201cIt is not a hard race,\u201d", []),
        ("he", "citing", "the mayor\u2019s appeal and its debts", []),
    ]


@pytest.mark.model
def test_a_poll_opening_the_sentence_is_its_source(attrs: Any) -> None:
    a = only(attrs("In a survey released on Monday by the institute, most farmers opposed the plan."))
    assert (a.cue_text, speaker(a)) == ("In", "a survey released on Monday by the institute")
    assert a.content_text == "most farmers opposed the plan"
    assert a.speaker and a.speaker.kind == "document"
    assert attrs("The minister leads in the polls.") == []  # after its verb, a poll is a topic


# ---------------------------------------------------------------------------------- channels


@pytest.mark.model
def test_channels(attrs: Any) -> None:
    text = (
        "Governor Ruth Adler said in an interview with the BBC that the dam was safe. She said at a press "
        "conference that repairs would start soon. Adler said on “Meet the Press” that she would not "
        "resign. She tweeted that the inspectors had left. The mayor said the road would reopen."
    )
    got = [a.channel for a in attrs(text)]
    assert got == ["interview", "press conference", "Meet the Press", "social media post", None]


# ------------------------------------------------------------------------------------- denials


@pytest.mark.model
def test_denial_cues(attrs: Any) -> None:
    text = (
        "The rebel spokesman denied that the airport had fallen. The ministry dismissed the report as "
        "fake news. The defence minister said he had never heard of the group. The army said the convoy "
        "had arrived."
    )
    got = [(a.cue_text, a.denial) for a in attrs(text)]
    assert got == [("denied", True), ("dismissed", True), ("said", True), ("said", False)]


@pytest.mark.model
def test_claim_denied_in_a_later_paragraph(attrs: Any) -> None:
    text = (
        "The rebel commander said his fighters had captured the airport at dawn.\n\n"
        "Heavy fighting was reported in the suburbs throughout the day.\n\n"
        "The defence ministry rejected the claim, calling it disinformation."
    )
    found = attrs(text)
    check_spans(text, found)
    claim, denial = found[0], by_cue(found, "rejected")
    assert (speaker(claim), claim.denial) == ("The rebel commander", False)
    assert (speaker(denial), denial.denial, denial.sentence_index) == ("The defence ministry", True, 2)
    assert denial.content_text == "the claim"


@pytest.mark.model
def test_ids_and_json(attrs: Any) -> None:
    found = attrs("The mayor said the road was open. The police said it was closed.")
    assert [a.id for a in found] == ["a1", "a2"]
    data = found[0].to_json()
    assert data["cue"] == {"text": "said", "span": [10, 14]}
    assert data["speaker"]["span"] == [0, 9] and data["speaker"]["head_token"] == 1
    assert json.loads(json.dumps(data)) == data


# ------------------------------------------------------------------------------------ evaluator


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _gold(speaker: list[int] | None, cue: list[int], content: list[int]) -> dict[str, Any]:
    return {"speaker_char_span": speaker, "cue_char_span": cue, "content_char_span": content}


def _pred(speaker: list[int] | None, cue: list[int], content: list[int]) -> dict[str, Any]:
    who = {"span": speaker} if speaker else None
    return {"speaker": who, "cue": {"span": cue}, "content": {"span": content}}


def test_evaluator_exact_overlap_and_whole_attribution(tmp_path: Path) -> None:
    gold = _write(
        tmp_path / "gold.jsonl",
        [
            {"id": "x", "quotes": [_gold([0, 5], [6, 10], [11, 30]), _gold(None, [40, 48], [49, 60])]},
            {"id": "y", "quotes": [_gold([0, 3], [4, 8], [9, 20])]},
        ],
    )
    pred = _write(
        tmp_path / "pred.jsonl",
        [
            # exact on all three roles; then a null speaker with a cue off by one and a shorter content
            {"id": "x", "attributions": [_pred([0, 5], [6, 10], [11, 30]), _pred(None, [40, 47], [49, 55])]},
            # y: a wrong speaker (no overlap), exact cue and content; plus a spurious attribution
            {
                "id": "y",
                "attributions": [_pred([30, 33], [4, 8], [9, 20]), _pred([50, 52], [53, 56], [57, 70])],
            },
        ],
    )
    s = evaluate_attributions(gold, pred)
    assert s["speaker_exact"]["tp"] == 1 and s["speaker_exact"]["predicted"] == 3
    assert s["speaker_exact"]["gold"] == 2 and s["speaker_overlap"]["tp"] == 1
    assert (s["cue_exact"]["tp"], s["cue_overlap"]["tp"], s["cue_exact"]["gold"]) == (2, 3, 3)
    assert (s["content_exact"]["tp"], s["content_overlap"]["tp"]) == (2, 3)
    assert (s["attribution"]["tp"], s["attribution"]["predicted"], s["attribution"]["gold"]) == (2, 4, 3)
    assert s["cue_exact"]["precision"] == 0.5 and s["cue_exact"]["recall"] == round(2 / 3, 4)
    table = format_attribution_scores(s)
    assert "attribution (overlap)" in table and "speaker exact" in table


def test_evaluator_counts_missing_articles_as_empty(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [{"id": "x", "quotes": [_gold([0, 5], [6, 10], [11, 30])]}])
    pred = _write(tmp_path / "pred.jsonl", [])
    s = evaluate_attributions(gold, pred)
    assert s["articles_missing_from_predictions"] == 1
    assert s["cue_exact"]["recall"] == 0.0 and s["cue_exact"]["gold"] == 1


def test_evaluator_matches_one_to_one(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [{"id": "x", "quotes": [_gold([0, 5], [6, 10], [11, 30])]}])
    pred = _write(
        tmp_path / "pred.jsonl",
        [{"id": "x", "attributions": [_pred([0, 5], [6, 10], [11, 30]), _pred([0, 5], [6, 10], [11, 30])]}],
    )
    s = evaluate_attributions(gold, pred)
    assert s["speaker_exact"]["tp"] == 1 and s["attribution"]["tp"] == 1
    assert s["attribution"]["precision"] == 0.5


# ------------------------------------------------------------------------------ shared PolNeAR


@pytest.mark.model
def test_polnear_dev_sample_scores(shared: Path, nlp: Any, cues: AttributionCues, tmp_path: Path) -> None:
    path = shared / "data" / "attribution" / "polnear-dev.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:8]]
    preds = [
        {"id": r["id"], "attributions": [a.to_json() for a in extract_attributions(doc, cues)]}
        for r, doc in zip(rows, nlp.pipe(r["text"] for r in rows), strict=True)
    ]
    s = evaluate_attributions(_write(tmp_path / "g.jsonl", rows), _write(tmp_path / "p.jsonl", preds))
    assert s["cue_exact"]["f1"] > 0.5 and s["speaker_exact"]["f1"] > 0.5 and s["content_overlap"]["f1"] > 0.6


@pytest.mark.model
def test_attribution_citing_before_the_cue_keeps_the_cue_out_of_the_content(attrs: Any) -> None:
    text = "Kenyan media, citing anonymous officials, reported on Sunday that Ethiopia asked Kenya for aid."
    (a,) = attrs(text)
    assert a.speaker is not None and a.speaker.text == "anonymous officials"
    assert [v.text for v in a.via] == ["Kenyan media"]
    assert a.content_text == "that Ethiopia asked Kenya for aid"


@pytest.mark.model
def test_raising_verbs_have_no_speaker_and_the_whole_clause_as_content(attrs: Any) -> None:
    text = "The new bridge seemed to sway in the wind. The vote is expected to pass on Friday."
    found = attrs(text)
    check_spans(text, found)
    assert [(a.speaker, a.cue_text, a.content_text) for a in found] == [
        (None, "seemed", "The new bridge seemed to sway in the wind"),
        (None, "is expected", "The vote is expected to pass on Friday"),
    ]
    a = only(attrs("It appears that the talks have stalled."))
    assert (a.speaker, a.cue_text, a.content_text) == (None, "appears", "that the talks have stalled")


@pytest.mark.model
def test_reportedly_is_a_cue_without_a_speaker(attrs: Any) -> None:
    a = only(attrs("The mayor reportedly met the developers twice."))
    assert (a.speaker, a.cue_text, a.content_text) == (
        None,
        "reportedly",
        "The mayor reportedly met the developers twice",
    )


@pytest.mark.model
def test_see_as_an_evaluation_verb(attrs: Any) -> None:
    a = only(attrs("Most voters see the governor as a reformer."))
    assert (speaker(a), a.cue_text, a.content_text) == ("Most voters", "see", "the governor as a reformer")
