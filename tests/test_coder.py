"""The coder on short sentences written for the project (shipped dictionaries, real spaCy parse)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import triples

pytestmark = pytest.mark.model


def test_coder_story_appeal_for_military_and_economic_aid(code: Any) -> None:
    events = code("U.S. media reported on Sunday that Russia asked China for military and economic aid.")
    got = triples(events)
    assert ("RUS", "0232", "CHN") in got and ("RUS", "0231", "CHN") in got
    appeal = next(e for e in events if e.cameo == "0232")
    assert appeal.date == date(2022, 3, 13) and appeal.date_source == "text"
    assert appeal.said_by is not None and appeal.said_by.code == "USAMED"


def test_coder_declined_to_condemn_is_not_a_condemnation(code: Any) -> None:
    events = code("China has declined to condemn Moscow.")
    assert all(e.negated for e in events if e.cameo.startswith("11"))
    assert not [e for e in events if not e.negated and e.cameo.startswith("11")]


def test_coder_blame_and_accuse(code: Any) -> None:
    got = triples(code("China's foreign ministry accused the United States of spreading disinformation."))
    assert any(s == "CHNGOV" and c.startswith("112") and t == "USA" for s, c, t in got)
    assert any(
        s == "CHN" and c.startswith("11") and t == "IGOWSTNAT"
        for s, c, t in triples(code("China blamed NATO for the crisis."))
    )


def test_coder_meeting_at_third_location_with_date(code: Any) -> None:
    events = code("On Monday, U.S. national security adviser Jake Sullivan met China's top diplomat in Rome.")
    meet = [e for e in events if e.cameo == "044"]
    assert meet and meet[0].source.code == "USAGOV" and meet[0].target and meet[0].target.code == "CHNGOV"
    assert meet[0].location and meet[0].location.name == "Rome" and meet[0].location.country == "ITA"
    assert meet[0].date == date(2022, 3, 14)


def test_coder_warning_of_consequences_is_a_threat(code: Any) -> None:
    events = code("The United States warned China of consequences for helping Russia evade sanctions.")
    assert any(e.cameo.startswith("13") and e.source.code.startswith("USA") for e in events)


def test_coder_passive_by_agent_gives_source(code: Any) -> None:
    got = triples(code("Kyiv was attacked by Russian troops on Tuesday."))
    assert any(s == "RUSMIL" and c[:2] in ("18", "19") and t == "UKRGOV" for s, c, t in got)


def test_coder_compound_subject_gives_one_event_per_actor(code: Any) -> None:
    got = triples(code("France and Germany condemned Iran."))
    assert {s for s, c, t in got if c.startswith("11") and t == "IRN"} == {"FRA", "DEU"}


def test_coder_reported_speech_codes_the_embedded_event(code: Any) -> None:
    events = code("Ukraine's army said Russian forces shelled Kharkiv overnight.")
    shell = [e for e in events if e.source.code == "RUSMIL"]
    assert shell and shell[0].cameo[:2] in ("18", "19", "20")
    assert shell[0].said_by is not None and shell[0].said_by.code == "UKRMIL"
    assert not any(e.source.code == "UKRMIL" and e.cameo[:2] in ("18", "19") for e in events)


def test_coder_capital_as_metonym_codes_government(code: Any) -> None:
    got = triples(code("Beijing criticized Tokyo over the visit."))
    assert any(s == "CHNGOV" and t == "JPNGOV" and c.startswith("11") for s, c, t in got)


def test_coder_refused_meeting_uses_refusal_code(code: Any) -> None:
    events = code("Iran refused to meet European negotiators.")
    assert any(e.cameo.startswith("12") and e.source.code == "IRN" and not e.negated for e in events)


def test_coder_intent_uses_cameo_intent_code(code: Any) -> None:
    events = code("India plans to meet Pakistan next week.")
    assert any(e.cameo == "036" and e.modality == "intended" for e in events)


def test_coder_future_and_conditional_modality(code: Any) -> None:
    assert any(e.modality == "future" for e in code("Egypt will host Sudan's leaders next month."))
    cond = code("If Serbia attacks Kosovo, NATO will respond.")
    assert any(e.modality == "conditional" and e.source.code == "SRB" for e in cond)


def test_coder_person_code_depends_on_article_date(code: Any) -> None:
    in_office = code("Joe Biden criticized Russia.", day=date(2022, 5, 1))
    out_of_office = code("Joe Biden criticized Russia.", day=date(2019, 5, 1))
    assert in_office and in_office[0].source.code == "USAGOV"
    assert out_of_office and out_of_office[0].source.code != "USAGOV"


def test_coder_ministry_refers_back_to_named_country(code: Any) -> None:
    events = code("Turkey's foreign ministry issued a statement. The ministry condemned Israel.")
    assert ("TURGOV", "111", "ISR") in triples(events) or any(
        e.source.code == "TURGOV" and e.cameo.startswith("11") for e in events
    )


def test_coder_pronoun_refers_back(code: Any) -> None:
    events = code("Kenya's president flew to Addis Ababa. He met Ethiopia's prime minister there.")
    assert any(e.source.code == "KENGOV" and e.cameo.startswith("04") for e in events)


def test_coder_nominal_event(code: Any) -> None:
    got = triples(code("Russia's invasion of Ukraine began in February."))
    assert any(s == "RUS" and t == "UKR" and c[:2] in ("17", "18", "19", "20") for s, c, t in got)


def test_coder_sports_idiom_is_discarded(code: Any) -> None:
    assert code("Brazil beat Argentina 3-1 in the World Cup qualifier and scored twice.") == []


def test_coder_said_alone_is_not_an_event(code: Any) -> None:
    assert code("Germany's chancellor said on Friday that the weather was cold.") == []


def test_coder_spans_point_into_the_text(code: Any) -> None:
    text = "On Monday, Japan's defence minister visited Manila and met the Philippine president."
    for e in code(text):
        assert text[e.trigger_start : e.trigger_end] == e.trigger_text
        assert text[e.source.start : e.source.end] == e.source.text
        if e.target:
            assert text[e.target.start : e.target.end] == e.target.text


def test_coder_person_in_international_office_has_no_country(code: Any) -> None:
    events = code("Mark Rutte criticized Russia.", day=date(2025, 3, 1))
    assert events and events[0].source.code == "IGOWSTNAT" and events[0].source.country is None
    earlier = code("Mark Rutte criticized Russia.", day=date(2015, 3, 1))
    assert earlier and earlier[0].source.code == "NLDGOV" and earlier[0].source.country == "NLD"


def test_coder_talks_between_two_actors(code: Any) -> None:
    got = triples(code("Talks between Russia and Ukraine resumed in Istanbul on Monday."))
    assert any(s == "RUS" and t == "UKR" and c.startswith("04") for s, c, t in got)


def test_coder_unknown_city_codes_as_its_country(code: Any) -> None:
    events = code("Russia attacked Odessa.")
    target = next(e.target for e in events if e.source.code == "RUS")
    assert target is not None and target.code == "UKR" and target.entry_ids == ("place:Odesa",)
