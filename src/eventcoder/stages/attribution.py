"""Quote attribution: who said what, through which channel, on whose authority.

One rule-based pass over a parsed spaCy ``Doc``. A cue (a reporting verb such as "said", a phrase such as
"according to", a headline colon or dash) is found first; its speaker and content are then read off the
dependency parse and the article's quotation marks. Span conventions follow PolNeAR: content keeps its
quotation marks and a leading "that", cues keep their auxiliaries and adverbs ("has also said") and a
following "in a statement" or colon, speakers are whole noun phrases and pronouns stay pronouns (their
resolved name goes in ``SpeakerRef.name``). The cue lexicon is data: ``data/attribution_cues.json``.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from eventcoder.errors import DictionaryError

SPEAKER_KINDS = frozenset(
    ["named_person", "official_role", "organization", "government", "media", "anonymous", "document",
     "unnamed_group"]
)  # fmt: skip
FORMS = frozenset(["direct", "indirect", "mixed"])
OPEN_DOUBLE = frozenset(["“", "„", "«", "``"])
CLOSE_DOUBLE = frozenset(["”", "»"])
AMBIGUOUS_DOUBLE = frozenset(['"', "''"])
QUOTE_CHARS = frozenset("\"“”„«»‘’'`")
QUOTE_MARK_RE = re.compile(r"''|``|[\"“”„«»‘’']")
SUBJECT_DEPS = frozenset(["nsubj", "nsubjpass", "csubj"])
CONTENT_DEPS = frozenset(["ccomp"])
OBJECT_DEPS = frozenset(["dobj", "oprd", "dative", "attr"])
PRONOUNS = frozenset(["he", "she", "they", "it", "i", "we", "you", "who", "which", "that"])
EXPLETIVES = frozenset(["it", "there"])


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class SpeakerRef:
    """A speaker mention: its text and span, the resolved full name (for pronouns, surnames, titles)."""

    text: str
    start: int
    end: int
    name: str | None
    kind: str
    head_token: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "span": [self.start, self.end], "name": self.name, "kind": self.kind,
                "head_token": self.head_token}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who (``speaker``) said what (``content``), by which words (``cue``), through which channel."""

    id: str
    speaker: SpeakerRef | None
    cue_text: str
    cue_start: int
    cue_end: int
    content_text: str
    content_start: int
    content_end: int
    form: str
    channel: str | None
    via: tuple[SpeakerRef, ...]
    sentence_index: int
    denial: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "speaker": self.speaker.to_json() if self.speaker else None,
            "cue": {"text": self.cue_text, "span": [self.cue_start, self.cue_end]},
            "content": {
                "text": self.content_text,
                "span": [self.content_start, self.content_end],
                "form": self.form,
            },
            "channel": self.channel,
            "via": [v.to_json() for v in self.via],
            "sentence_index": self.sentence_index,
            "denial": self.denial,
        }


@dataclass(frozen=True, slots=True)
class AttributionCues:
    """The cue lexicon (see ``data/attribution_cues.json``); verbs are lemmas, phrases lower case."""

    speech_verbs: frozenset[str]
    complement_only_verbs: frozenset[str]
    object_verbs: frozenset[str]
    intent_verbs: frozenset[str]
    prep_verbs: Mapping[str, frozenset[str]]
    source_phrases: tuple[tuple[str, ...], ...]
    citing_verbs: frozenset[str]
    passive_report_verbs: frozenset[str]
    cue_nouns: frozenset[str]
    channels: Mapping[str, str]
    channel_verbs: Mapping[str, str]
    denial_verbs: frozenset[str]
    denial_phrases: tuple[str, ...]
    anonymous_words: frozenset[str]
    media_words: frozenset[str]
    document_words: frozenset[str]
    government_words: frozenset[str]
    group_words: frozenset[str]
    organization_words: frozenset[str]
    role_words: frozenset[str]
    male_words: frozenset[str]
    female_words: frozenset[str]
    headline_dashes: frozenset[str]
    raising_verbs: frozenset[str] = frozenset()
    cue_adverbs: frozenset[str] = frozenset()
    source_nouns: frozenset[str] = frozenset()
    section_labels: frozenset[str] = frozenset()


MAPPING_FIELDS = frozenset(["prep_verbs", "channels", "channel_verbs", "source_phrases", "denial_phrases"])


def _lower_set(data: Mapping[str, Any], key: str) -> frozenset[str]:
    return frozenset(str(w).lower() for w in data.get(key, []))


def load_attribution_cues(path: Path | str | None = None) -> AttributionCues:
    """Load the cue lexicon from ``path`` (default: the packaged ``data/attribution_cues.json``)."""
    if path is None:
        text = resources.files("eventcoder").joinpath("data/attribution_cues.json").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    unknown = sorted(set(data) - set(AttributionCues.__dataclass_fields__) - {"note"})
    if unknown:
        where = path or "data/attribution_cues.json"
        raise DictionaryError(f"{where}: unknown key(s) {', '.join(unknown)} (a typo would be ignored)")
    words = {k: _lower_set(data, k) for k in AttributionCues.__dataclass_fields__ if k not in MAPPING_FIELDS}
    return AttributionCues(
        prep_verbs={k.lower(): frozenset(v) for k, v in data.get("prep_verbs", {}).items()},
        channels={k.lower(): str(v) for k, v in data.get("channels", {}).items()},
        channel_verbs={k.lower(): str(v) for k, v in data.get("channel_verbs", {}).items()},
        source_phrases=tuple(tuple(p.lower().split()) for p in data.get("source_phrases", [])),
        denial_phrases=tuple(p.lower() for p in data.get("denial_phrases", [])),
        **words,
    )


# ------------------------------------------------------------------------------------ quotation marks

Span = tuple[int, int]


def _paragraphs(text: str) -> list[Span]:
    """Non-blank lines, as [start, end) offsets without surrounding blanks."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        stripped = line.strip()
        if stripped:
            lo = m.start() + line.index(stripped[0])
            out.append((lo, lo + len(stripped)))
    return out


def _single_role(before: str, after: str, mark: str) -> str:
    if before.isalnum() and after.isalnum():
        return "apostrophe"
    if (before.isspace() or before in '([{—–-/"“') and after.isalnum():
        return "apostrophe" if mark == "’" and after.isdigit() else "open1"
    return "close1" if not before.isspace() else "apostrophe"


def _mark_role(text: str, start: int, end: int) -> str:
    """open, close, either (a straight mark between two words), open1, close1 or apostrophe."""
    mark = text[start:end]
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if mark in OPEN_DOUBLE:  # but a mistyped closing mark: 'unusual,“ said'
        return "close" if mark == "“" and before in ",.?!" and (after.isspace() or after in ",;:") else "open"
    if mark in CLOSE_DOUBLE:  # but a mistyped opening mark at the start of a line or after a space: '”We'
        return "open" if mark == "”" and before.isspace() and after.isalnum() else "close"
    if mark in ("‘", "’", "'"):
        return _single_role(before, after, mark)
    opens = before.isspace() or before in "([{—–-/‘'"
    closes = after.isspace() or not after.isalnum()
    if opens and not after.isspace():
        return "open"
    return "close" if closes or not opens else "either"


@dataclass(slots=True)
class _QuoteScan:
    """Pairing state of the quotation marks of one paragraph."""

    out: list[Span]
    double: int | None = None
    single: int | None = None

    def feed(self, role: str, start: int, end: int) -> None:
        if role in ("open", "close", "either"):
            self._double(role, start, end)
        elif self.double is None:
            self._single(role, start, end)

    def _double(self, role: str, start: int, end: int) -> None:
        if self.double is None and role != "close":
            self.double, self.single = start, None
        elif self.double is not None and role != "open":
            self.out.append((self.double, end))
            self.double = None

    def _single(self, role: str, start: int, end: int) -> None:
        if role == "open1" and self.single is None:
            self.single = start
        elif role == "close1" and self.single is not None:
            self.out.append((self.single, end))
            self.single = None


def _opens_quote(text: str, lo: int) -> bool:
    m = QUOTE_MARK_RE.match(text, lo)
    return m is not None and _mark_role(text, m.start(), m.end()) in ("open", "either")


def _scan_paragraph(text: str, para: Span, carry: int | None, out: list[Span]) -> int | None:
    """Pair the marks of one paragraph; a quote continued from ``carry`` skips its opening mark."""
    scan = _QuoteScan(out, double=carry)
    pos = para[0]
    if carry is not None:
        m = QUOTE_MARK_RE.match(text, pos)
        pos = m.end() if m else pos
    for m in QUOTE_MARK_RE.finditer(text, pos, para[1]):
        scan.feed(_mark_role(text, m.start(), m.end()), m.start(), m.end())
    return scan.double


def find_quotes(text: str) -> list[Span]:
    """Spans of the quotations of ``text``, marks included, in order and never nested.

    Double quotes (straight, curly, doubled apostrophes) and top-level single quotes are paired within a
    paragraph; a quote left open at the end of a paragraph goes on when the next paragraph opens with a
    quotation mark (the news convention for quotes of several paragraphs), and ends with it otherwise.
    """
    out: list[Span] = []
    carry: int | None = None
    prev_end = 0
    for para in _paragraphs(text):
        if carry is not None and not _opens_quote(text, para[0]):
            out.append((carry, prev_end))
            carry = None
        carry = _scan_paragraph(text, para, carry, out)
        prev_end = para[1]
    if carry is not None:
        out.append((carry, prev_end))
    return sorted(out)


# ----------------------------------------------------------------------------------- parse helpers


@dataclass(slots=True)
class _Ctx:
    """One document under extraction."""

    doc: Any
    cues: AttributionCues
    text: str = field(init=False)
    quotes: list[Span] = field(init=False)
    quote_starts: list[int] = field(init=False)
    quote_ends: dict[int, Span] = field(init=False)
    lexicon: _Lexicon = field(init=False)
    denial: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.text = self.doc.text
        self.quotes = find_quotes(self.text)
        self.denial = _denial_re(self.cues.denial_phrases)
        self.quote_starts = [q[0] for q in self.quotes]
        self.quote_ends = {q[1]: q for q in self.quotes}
        self.lexicon = _Lexicon.of(self.cues)

    def quote_at(self, char: int) -> Span | None:
        k = bisect.bisect_right(self.quote_starts, char) - 1
        if k >= 0 and self.quotes[k][0] <= char < self.quotes[k][1]:
            return self.quotes[k]
        return None

    def quote_starting(self, char: int) -> Span | None:
        k = bisect.bisect_left(self.quote_starts, char)
        if k < len(self.quotes) and self.quotes[k][0] == char:
            return self.quotes[k]
        return None


@dataclass(slots=True)
class _Raw:
    """An attribution found, before its speaker is classified and named."""

    cue: Span
    cue_token: int
    content: Span
    speaker: tuple[int, int, int] | None  # first token, last token, head token
    via: list[tuple[int, int, int]] = field(default_factory=list)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _chars(doc: Any, lo: int, hi: int) -> Span:
    """Character span of tokens lo..hi (inclusive)."""
    last = doc[hi]
    return doc[lo].idx, last.idx + len(last.text)


def _is_quote_mark(tok: Any) -> bool:
    return tok.text in QUOTE_CHARS or tok.text in ("''", "``")


def _has_verb(doc: Any, lo: int, hi: int) -> bool:
    """Is any of the tokens lo..hi (exclusive) a verb or an auxiliary?"""
    return any(doc[i].pos_ in ("VERB", "AUX") for i in range(lo, hi))


def _is_edge_junk(tok: Any) -> bool:
    return tok.is_space or (tok.is_punct and not _is_quote_mark(tok))


def _strip(doc: Any, lo: int, hi: int) -> tuple[int, int] | None:
    """Tokens lo..hi without punctuation (but quotation marks, a closing bracket) or blanks at the ends."""
    while lo <= hi and (_is_edge_junk(doc[lo]) or doc[lo].dep_ == "cc"):
        lo += 1
    while hi >= lo and _is_edge_junk(doc[hi]) and not _closes_bracket(doc, lo, hi):
        hi -= 1
    return (lo, hi) if lo <= hi else None


def _closes_bracket(doc: Any, lo: int, hi: int) -> bool:
    return doc[hi].text == ")" and any(doc[k].text == "(" for k in range(lo, hi))


NP_LEFT_DEPS = frozenset(["compound", "amod", "nmod", "poss"])


def _speaker_tokens(doc: Any, lo: int, hi: int, cue: int) -> tuple[int, int] | None:
    """A speaker's tokens as PolNeAR marks them: from its own line, with the whole name and title
    ('Trump senior adviser Jason Miller'), and the comma closing an apposition ('Smith, a spokesman,')."""
    for k in range(hi, lo - 1, -1):
        if "\n" in doc[k].text:
            lo = k + 1
            break
    if doc[lo].is_upper and len(doc[lo]) > 2 and lo < hi and doc[lo + 1].text in ("-", "–", "—"):
        lo += 2
    while lo > 0 and doc[lo - 1].dep_ in NP_LEFT_DEPS and not doc[lo - 1].is_punct:
        lo -= 1
    while lo < hi and (_is_quote_mark(doc[lo]) or doc[lo].is_space):
        lo += 1  # the closing mark of the quotation before ('..." Smith said'), which the parse may attach
    r = _strip(doc, lo, hi)
    if r and r[1] + 1 < cue and doc[r[1] + 1].text == "," and any(doc[k].text == "," for k in range(*r)):
        return r[0], r[1] + 1
    return r


def _np_range(tok: Any) -> tuple[int, int, int] | None:
    """A noun phrase's whole subtree, stripped; with its head."""
    r = _strip(tok.doc, tok.left_edge.i, tok.right_edge.i)
    return (r[0], r[1], tok.i) if r else None


def _subject(tok: Any) -> Any:
    for c in tok.children:
        if c.dep_ in SUBJECT_DEPS:
            return c
    return None


def _child(tok: Any, deps: frozenset[str] | tuple[str, ...]) -> Any:
    for c in tok.children:
        if c.dep_ in deps:
            return c
    return None


def _is_passive(tok: Any) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children)


def _agent(tok: Any) -> Any:
    agent = _child(tok, ("agent",))
    return _child(agent, ("pobj",)) if agent is not None else None


# ------------------------------------------------------------------------------------------- speakers

SPEAKER_CLIMB_DEPS = frozenset(["conj", "xcomp", "advcl", "pcomp", "prep"])


def _speaker_node(tok: Any) -> Any:
    """The token heading the speaker of cue ``tok``, climbing out of conjuncts, participles, "as saying"."""
    node = tok
    for _ in range(4):
        found = _agent(node) if _is_passive(node) else None
        found = found if found is not None else _subject(node)
        if found is not None:
            return found
        if node.dep_ == "acl" and node.head.pos_ in ("NOUN", "PROPN"):
            return node.head
        if node.dep_ not in SPEAKER_CLIMB_DEPS or node.head.i == node.i:
            return None
        node = node.head
    return None


def _speaker_range(tok: Any) -> tuple[int, int, int] | None:
    node = _speaker_node(tok)
    if node is None or (node.dep_ == "nsubjpass" and node.lower_ in EXPLETIVES):
        return None
    hi = node.right_edge.i
    if node.i < tok.i <= hi:  # the head noun of a participle ("a letter saying")
        hi = node.i
    r = _speaker_tokens(tok.doc, node.left_edge.i, hi, tok.i)
    return (r[0], r[1], node.i) if r else None


def _quoted_as_saying(tok: Any, cues: AttributionCues) -> Any:
    """The "quoted" of "X was quoted as saying", for a cue "saying"."""
    head = tok.head
    if tok.dep_ == "pcomp" and head.lower_ == "as" and head.head.lemma_.lower() in cues.citing_verbs:
        return head.head
    return None


def _dropped_passive(tok: Any, cues: AttributionCues) -> bool:
    """Passive cues without an agent ("he was asked", "it is expected"), except "it was reported"."""
    if not _is_passive(tok) or _agent(tok) is not None:
        return False
    subj = _child(tok, ("nsubjpass",))
    expletive = subj is not None and subj.lower_ in EXPLETIVES
    return not (expletive and tok.lemma_.lower() in cues.passive_report_verbs)


# ----------------------------------------------------------------------------------------------- cues

CUE_LEFT_DEPS = frozenset(["aux", "auxpass", "neg", "advmod"])


def _cue_start(tok: Any) -> int:
    lo: int = tok.i
    doc = tok.doc
    while lo > 0:
        prev = doc[lo - 1]
        if prev.head.i != tok.i or prev.dep_ not in CUE_LEFT_DEPS or prev.tag_ == "WRB":
            break
        lo -= 1
    return lo


def _statement_end(tok: Any, cues: AttributionCues) -> int:
    """The last token of "said [Tuesday] in a statement [released by ...]" when the cue has one."""
    end: int = tok.i
    found: int = tok.i
    for c in tok.rights:
        if c.left_edge.i != end + 1:
            break
        pobj = _child(c, ("pobj",)) if c.dep_ == "prep" and c.lower_ == "in" else None
        if pobj is None and c.dep_ != "npadvmod":
            break
        end = _phrase_end(c)
        if pobj is not None and pobj.lemma_.lower() in cues.cue_nouns:
            found = end
    return found


def _phrase_end(tok: Any) -> int:
    """Last token of a phrase, short of a 'that' clause hanging on it ('a statement that ...')."""
    for t in tok.subtree:
        if t.dep_ in ("acl", "ccomp", "relcl") and t.left_edge.lower_ == "that" and t.i > tok.i:
            return int(t.left_edge.i) - 1
    return int(tok.right_edge.i)


def _cue_range(tok: Any, cues: AttributionCues) -> tuple[int, int]:
    quoted = _quoted_as_saying(tok, cues)
    lo = _cue_start(quoted if quoted is not None else tok)
    hi = _statement_end(tok, cues)
    doc = tok.doc
    if hi + 1 < len(doc) and doc[hi + 1].text == ":":
        hi += 1
    return lo, hi


# -------------------------------------------------------------------------------------------- content

CLAUSE_TAIL_DEPS = frozenset(["npadvmod", "advmod", "prep", "dative", "agent", "nsubj", "dobj"])


def _token_span(doc: Any, lo: int, hi: int) -> Span | None:
    r = _strip(doc, lo, hi)
    return _chars(doc, *r) if r else None


def _clause_end(tok: Any, speaker: tuple[int, int, int] | None, cue_hi: int, ctx: _Ctx) -> int:
    """Last token of the cue clause: cue, speaker and the adverbials right after them."""
    end = max(cue_hi, speaker[1] if speaker else cue_hi)
    for c in tok.rights:
        if c.left_edge.i > end + 1 or c.right_edge.i <= end:
            continue
        if c.dep_ not in CLAUSE_TAIL_DEPS or _has_quote(ctx, c.left_edge.i, c.right_edge.i):
            break
        end = c.right_edge.i
    return end


def _has_quote(ctx: _Ctx, lo: int, hi: int) -> bool:
    doc = ctx.doc
    return any(ctx.quote_at(doc[i].idx) is not None for i in (lo, hi))


def _quote_before(ctx: _Ctx, char: int) -> Span | None:
    text = ctx.text
    j = char
    while j > 0 and text[j - 1] in " \t,":
        j -= 1
    return ctx.quote_ends.get(j)


QUOTE_GAP_RE = re.compile(r"[ \t]*(?:([,:.])[ \t\n]*)?")


def _quote_after(ctx: _Ctx, char: int, after_period: bool) -> Span | None:
    """A quotation opening right after ``char``, past a comma or colon (or a period, when allowed)."""
    m = QUOTE_GAP_RE.match(ctx.text, char)
    if m is None or (m.group(1) == "." and not after_period) or (m.group(1) != ":" and "\n" in m.group()):
        return None
    return ctx.quote_starting(m.end())


def _continues(ctx: _Ctx, quote: Span, first: Any) -> bool:
    """A quote before the cue clause belongs to it unless it ended a sentence and the clause starts one."""
    inner = ctx.text[quote[0] : quote[1]].rstrip("\"”’'»")
    return not inner.endswith(".") or first.is_lower


def _quoted_content(tok: Any, lo: int, hi: int, ctx: _Ctx) -> Span | None:
    """The quotation right before the clause lo..hi, right after it, or both (a quote split by the cue)."""
    doc = ctx.doc
    left = _quote_before(ctx, doc[lo].idx)
    if left is not None and not _continues(ctx, left, doc[lo]):
        left = None
    right = _quote_after(ctx, doc[hi].idx + len(doc[hi].text), left is not None)
    if right is not None and right[0] <= tok.idx:
        right = None
    if left is not None and right is None:
        right = _resumed_quote(ctx, hi + 1)
    if left and right:
        return _continued(ctx, (left[0], right[1]))
    found = left or right
    return _continued(ctx, found) if found else None


def _resumed_quote(ctx: _Ctx, i: int) -> Span | None:
    """'"X," she said, a hint of frustration in her voice. "Y."': the quotation the speaker resumes
    later in the paragraph, unless another reporting verb comes first."""
    doc, quotable = ctx.doc, ctx.lexicon.quotable
    for k in range(i, min(i + 40, len(doc))):
        tok = doc[k]
        if "\n" in tok.text or (tok.pos_ == "VERB" and tok.lemma_.lower() in quotable):
            return None
        found = ctx.quote_starting(tok.idx)
        if found is not None:
            return found
    return None


def _continued(ctx: _Ctx, span: Span) -> Span:
    """A quotation goes on through the following paragraphs that are nothing but a quotation."""
    text = ctx.text
    end = span[1]
    while True:
        m = re.compile(r"[ \t]*\n\s*").match(text, end)
        nxt = ctx.quote_starting(m.end()) if m else None
        if nxt is None or (not text.startswith("\n", nxt[1]) and nxt[1] < len(text.rstrip())):
            return span[0], end
        end = nxt[1]


def _ccomp_content(tok: Any) -> Span | None:
    comps = [c for c in tok.children if c.dep_ in CONTENT_DEPS]
    if not comps:
        return None
    return _token_span(tok.doc, min(c.left_edge.i for c in comps), max(c.right_edge.i for c in comps))


def _is_that_clause(tok: Any) -> bool:
    mark = _child(tok, ("mark",))
    return mark is not None and mark.lower_ == "that"


def _noun_clause_content(tok: Any) -> Span | None:
    """'said in a statement that ...', where the parser hangs the clause on the noun."""
    for prep in (c for c in tok.rights if c.dep_ == "prep"):
        for noun in (c for c in prep.children if c.dep_ == "pobj"):
            clause = next((c for c in noun.rights if c.dep_ in ("acl", "ccomp") and _is_that_clause(c)), None)
            if clause is not None:
                return _token_span(tok.doc, clause.left_edge.i, clause.right_edge.i)
    return None


def _parenthetical_content(tok: Any) -> Span | None:
    """'The plan, he said, is dead': the head clause around the cue's own subtree."""
    if tok.dep_ != "parataxis":
        return None
    head = tok.head
    lo, hi = head.left_edge.i, head.right_edge.i
    if tok.left_edge.i <= lo:
        lo = tok.right_edge.i + 1
    if tok.right_edge.i >= hi:
        hi = tok.left_edge.i - 1
    return _token_span(tok.doc, lo, hi)


def _object_content(tok: Any) -> Span | None:
    """The object and its complements: 'accused [Smith of lying]', 'called [him a liar]'."""
    obj = next((c for c in tok.rights if c.dep_ in OBJECT_DEPS), None)
    if obj is None:
        return None
    hi = obj.right_edge.i
    for c in tok.rights:
        if c.i > obj.i and c.left_edge.i <= hi + 2 and _is_object_tail(c):
            hi = c.right_edge.i
    return _token_span(tok.doc, obj.left_edge.i, hi)


def _is_object_tail(c: Any) -> bool:
    return c.dep_ in ("oprd", "dobj", "xcomp", "ccomp", "prep")


def _xcomp_content(tok: Any) -> Span | None:
    """'wants [to build a wall]', 'urged [Congress to act]'."""
    x = next((c for c in tok.rights if c.dep_ == "xcomp" and _child(c, ("aux",)) is not None), None)
    if x is None:
        return None
    obj = next((c for c in tok.rights if c.dep_ in OBJECT_DEPS and c.i < x.i), None)
    lo = obj.left_edge.i if obj is not None else x.left_edge.i
    return _token_span(tok.doc, lo, x.right_edge.i)


def _colon_content(cue_hi: int, ctx: _Ctx) -> Span | None:
    """After 'The Times reports:', the rest of the paragraph."""
    doc, text = ctx.doc, ctx.text
    if doc[cue_hi].text != ":" or cue_hi + 1 >= len(doc):
        return None
    start = doc[cue_hi + 1].idx
    end = text.find("\n", start + 1)
    end = len(text) if end < 0 else end
    span = doc.char_span(start, end, alignment_mode="expand")
    return _token_span(doc, span.start, span.end - 1) if span is not None and len(span) else None


def _extend_to_quotes(ctx: _Ctx, span: Span, cue: Span) -> Span:
    """Content that starts or ends inside a quotation (not the cue's own) takes the whole quotation."""
    s, e = span
    q = ctx.quote_at(s)
    if q is not None and q[0] < s and not q[0] <= cue[0] < q[1]:
        s = q[0]
    q = ctx.quote_at(e - 1)
    if q is not None and e < q[1] and not q[0] <= cue[0] < q[1]:
        e = q[1]
    return s, e


# ----------------------------------------------------------------------------------- finding cues


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """Verb classes derived from the cue lexicon."""

    all_verbs: frozenset[str]
    quotable: frozenset[str]  # may take a quotation or a parenthetical ("..., he said")
    complement: frozenset[str]  # may take a clause ("said that ...", "believes ...")
    first_words: frozenset[str]  # first words of the source phrases ("according")

    @staticmethod
    def of(cues: AttributionCues) -> _Lexicon:
        quotable = cues.speech_verbs - cues.complement_only_verbs
        complement = cues.speech_verbs | cues.complement_only_verbs
        verbs = complement | cues.object_verbs | cues.intent_verbs | frozenset(cues.prep_verbs)
        return _Lexicon(verbs, quotable, complement, frozenset(p[0] for p in cues.source_phrases))


def _prep_particle(tok: Any, lemma: str, cues: AttributionCues) -> Any:
    allowed = cues.prep_verbs.get(lemma)
    if not allowed:
        return None
    return next((c for c in tok.rights if c.dep_ in ("prep", "prt") and c.lower_ in allowed), None)


def _prep_content(tok: Any, prep: Any) -> Span | None:
    if prep.dep_ == "prt":
        return _ccomp_content(tok) or _object_content(tok)
    obj = _child(prep, ("pobj", "pcomp"))
    if obj is None:
        return None
    hi = obj.right_edge.i
    for c in tok.rights:  # 'referred to [the US as "the Great Satan"]'
        if c.i > hi and c.left_edge.i <= hi + 2 and (c.dep_ == "oprd" or c.lower_ == "as"):
            hi = c.right_edge.i
    return _token_span(tok.doc, obj.left_edge.i, hi)


def _plain_content(tok: Any, lemma: str, lo: int, hi: int, speaker: Any, ctx: _Ctx) -> Span | None:
    lex, cues = ctx.lexicon, ctx.cues
    if tok.dep_ == "advcl" and lemma in lex.complement and _child(tok, CONTENT_DEPS) is not None:
        return _ccomp_content(tok)  # '"...," she said, adding that ...': the quotation is the said's
    span = None
    if lemma in lex.quotable:
        first = min(lo, speaker[0]) if speaker else lo
        span = _quoted_content(tok, first, _clause_end(tok, speaker, hi, ctx), ctx) or _colon_content(hi, ctx)
    if span is None and lemma in lex.complement:
        span = _ccomp_content(tok)
    if span is None and lemma in lex.quotable:
        span = _parenthetical_content(tok)
    if span is None and lemma in cues.object_verbs:
        span = _object_content(tok)
    if span is None and lemma in cues.intent_verbs:
        span = _xcomp_content(tok)
    return span


CIRCUMSTANCE_DEPS = frozenset(
    ["advmod", "npadvmod", "prep", "pobj", "det", "compound", "amod", "nummod", "punct"]
)


def _rest_content(tok: Any, cue_hi: int) -> Span | None:
    """A speech verb the parse gives no clause ("He said legalizing it could ...", "said on Friday during
    a news conference that ..." with the clause hung on "conference"): the rest of its sentence, from a
    "that" if only circumstances come before it, when that rest is a clause."""
    doc, sent = tok.doc, tok.sent
    rest = range(cue_hi + 1, sent.end)
    that = next((i for i in rest if doc[i].lower_ == "that" and doc[i].dep_ == "mark"), None)
    if that is not None and all(doc[i].dep_ in CIRCUMSTANCE_DEPS for i in range(cue_hi + 1, that)):
        start = that
    elif cue_hi + 1 < sent.end and doc[cue_hi + 1].dep_ not in CIRCUMSTANCE_DEPS | {"cc", "dobj", "dative"}:
        start = cue_hi + 1
    else:
        return None
    if not _has_verb(doc, start, sent.end) or sent.end - start < 3:
        return None
    return _token_span(doc, start, sent.end - 1)


RELATIVE_WORDS = frozenset(["which", "who", "whom", "whose", "where", "when"])


def _without_trailing_relative(ctx: _Ctx, span: Span) -> Span:
    """An indirect content without a relative clause after a comma that runs to its end ("that Clinton
    would win Ohio, where she trails"): PolNeAR leaves those out. (Cutting before trailing appositions,
    participles or prepositional phrases too was measured on polnear-train and lost more than it won.)"""
    found = ctx.doc.char_span(span[0], span[1], alignment_mode="expand")
    if found is None:
        return span
    last = found.end - 1
    while last > found.start and found.doc[last].is_punct:
        last -= 1
    for tok in found[:-1]:
        if tok.text != "," or tok.i == found.start or ctx.quote_at(tok.idx) is not None:
            continue
        nxt = tok.nbor()
        clause = nxt.head if nxt.dep_ != "relcl" else nxt
        if nxt.lower_ in RELATIVE_WORDS and clause.dep_ == "relcl" and clause.right_edge.i >= last:
            return _chars(ctx.doc, found.start, tok.i - 1)
    return span


def _passive_content(tok: Any, cue_hi: int) -> tuple[Span, int] | None:
    """'The move was first reported by MSNBC': with an agent, the passive's subject is the content and
    the cue runs to "by" when the agent follows the verb. Returns the content and the cue's last token."""
    agent = _child(tok, ("agent",))
    subj = _child(tok, ("nsubjpass",))
    if agent is None or subj is None or subj.lower_ in EXPLETIVES or subj.tag_ in ("WDT", "WP"):
        return None
    content = _token_span(tok.doc, subj.left_edge.i, subj.right_edge.i)
    if content is None:
        return None
    return content, agent.i if agent.i - cue_hi <= 2 else cue_hi


def _cited(tok: Any, cues: AttributionCues) -> tuple[Any, Any] | None:
    """'said, citing anonymous officials, ...': the citing verb and the source it cites."""
    nodes = [tok, *(c for c in tok.children if c.dep_ == "ccomp")]
    for c in (c for node in nodes for c in node.children):
        if c.dep_ in ("advcl", "xcomp", "conj") and c.lemma_.lower() in cues.citing_verbs:
            obj = _child(c, ("dobj",))
            if obj is not None and _is_source(obj, cues):
                return c, obj
    return None


SOURCE_NOUN_ENTS = frozenset(["PERSON", "ORG", "NORP", "GPE"])


def _is_source(h: Any, cues: AttributionCues) -> bool:
    """Can the noun ``h`` be someone's say-so (officials, a report, the Times), rather than a reason
    cited ("citing low growth")?"""
    lemma = h.lemma_.lower()
    vocab = (cues.anonymous_words | cues.media_words | cues.document_words | cues.government_words
             | cues.group_words | cues.organization_words | cues.role_words)  # fmt: skip
    return h.ent_type_ in SOURCE_NOUN_ENTS or lemma in vocab or h.lower_ in vocab


def _infinitive(tok: Any) -> bool:
    return any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children)


def _verb_attribution(tok: Any, ctx: _Ctx, consumed: set[int]) -> _Raw | None:
    lemma = tok.lemma_.lower()
    if tok.pos_ != "VERB" or lemma not in ctx.lexicon.all_verbs or _dropped_passive(tok, ctx.cues):
        return None
    if lemma not in ctx.lexicon.quotable and _infinitive(tok):
        return None
    speaker = _speaker_range(tok)
    lo, hi = _cue_range(tok, ctx.cues)
    prep = _prep_particle(tok, lemma, ctx.cues)
    if prep is not None and prep.i > hi:
        hi = prep.i
    content = _prep_content(tok, prep) if prep is not None else None
    cited = _cited(tok, ctx.cues)
    if content is None:
        content = _plain_content(tok, lemma, lo, hi, speaker, ctx)
    if content is None and cited is not None:
        content = _ccomp_content(cited[0])
    if content is None and lemma in ctx.lexicon.complement:
        content = _noun_clause_content(tok)
    if content is None and speaker is not None and lemma in ctx.lexicon.quotable:
        content = _rest_content(tok, hi)
    if content is None and speaker is not None:
        passive = _passive_content(tok, hi)
        if passive is not None:
            content, hi = passive
    if content is None:
        return None
    cue = _chars(ctx.doc, lo, hi)
    content = _without_trailing_relative(ctx, content)
    raw = _Raw(cue, tok.i, _extend_to_quotes(ctx, content, cue), speaker)
    return _apply_citation(raw, cited, consumed)


def _apply_citation(raw: _Raw, cited: tuple[Any, Any] | None, consumed: set[int]) -> _Raw:
    if cited is None:
        return raw
    source = _np_range(cited[1])
    if source is None:
        return raw
    consumed.add(cited[0].i)
    via = [raw.speaker] if raw.speaker else []
    return _Raw(raw.cue, raw.cue_token, _without_citation(cited[0], raw.content), source, via)


def _without_citation(citing: Any, content: Span) -> Span:
    """Content that opens with the citing phrase ('citing officials, that ...') starts after it."""
    doc = citing.doc
    lo, hi = citing.left_edge.i, citing.right_edge.i
    if not content[0] <= doc[lo].idx < content[1] or hi + 1 >= len(doc):
        return content  # the citing phrase is not inside the content (e.g. it sits before the cue)
    rest = _strip(doc, hi + 1, len(doc) - 1)
    start = doc[rest[0]].idx if rest else content[0]
    return (start, content[1]) if start < content[1] else content


def _source_phrase(tok: Any, cues: AttributionCues) -> int:
    """Length of the source phrase ("according to") starting at ``tok``, or 0."""
    doc = tok.doc
    for phrase in cues.source_phrases:
        end = tok.i + len(phrase)
        if end <= len(doc) and all(doc[tok.i + k].lower_ == w for k, w in enumerate(phrase)):
            return len(phrase)
    return 0


def _governing_clause(tok: Any) -> Any:
    node = tok.head
    while node.pos_ not in ("VERB", "AUX") and node.head.i != node.i:
        node = node.head
    return node


def _around(doc: Any, clause: Any, lo: int, hi: int) -> Span | None:
    """The clause's span without the phrase lo..hi when that phrase sits at one of its ends."""
    stripped = _strip(doc, clause.left_edge.i, clause.right_edge.i)
    if stripped is None:
        return None
    start, end = stripped
    if lo <= start:
        start = hi + 1
    elif hi >= end:
        end = lo - 1
    return _token_span(doc, start, end)


def _phrase_attribution(tok: Any, ctx: _Ctx) -> _Raw | None:
    """'According to officials, ...' and '..., according to the report.'"""
    n = _source_phrase(tok, ctx.cues)
    pobj = _child(tok.doc[tok.i + n - 1], ("pobj",)) if n else None
    if pobj is None:
        return None
    clause = _governing_clause(tok)
    content = _around(tok.doc, clause, tok.i, pobj.right_edge.i) if clause.i != tok.i else None
    if content is None:
        return None
    return _Raw(_chars(tok.doc, tok.i, tok.i + n - 1), tok.i, content, _np_range(pobj))


def _in_source_attribution(tok: Any, ctx: _Ctx) -> _Raw | None:
    """'In a poll released Monday, 50 percent chose ...': the poll is the source of the clause its "in"
    phrase opens. (After its verb, "in the polls" is as often a topic: "leads in the polls".)"""
    pobj = _child(tok, ("pobj",)) if tok.dep_ == "prep" else None
    if pobj is None or pobj.lemma_.lower() not in ctx.cues.source_nouns:
        return None
    clause = _governing_clause(tok)
    content = _around(tok.doc, clause, tok.i, pobj.right_edge.i) if clause.i > tok.i else None
    if content is None:
        return None
    return _Raw(_chars(tok.doc, tok.i, tok.i), tok.i, content, _np_range(pobj))


RAISING_COMPS = ("xcomp", "acomp", "ccomp", "oprd")


def _raising_attribution(tok: Any, ctx: _Ctx) -> _Raw | None:
    """'Trump seemed to waver', 'The bill is expected to pass': no speaker, the content is the clause."""
    lemma = tok.lemma_.lower()
    if lemma not in ctx.cues.raising_verbs or tok.pos_ not in ("VERB", "AUX"):
        return None
    if (lemma == "expect") != (_is_passive(tok) and _agent(tok) is None):
        return None
    comp = _child(tok, RAISING_COMPS)
    subj = _child(tok, SUBJECT_DEPS)
    doc = tok.doc
    if comp is None or (comp.dep_ != "ccomp" and (subj is None or subj.lower_ in EXPLETIVES)):
        return None
    lo = comp.left_edge.i if comp.dep_ == "ccomp" else subj.left_edge.i
    content = _token_span(doc, lo, comp.right_edge.i)
    return _Raw(_chars(doc, _cue_start(tok), tok.i), tok.i, content, None) if content else None


def _adverb_attribution(tok: Any) -> _Raw | None:
    """'Smith reportedly met him': no speaker, the content is the clause around the adverb."""
    head = tok.head
    if tok.dep_ != "advmod" or head.pos_ not in ("VERB", "AUX") or _subject(head) is None:
        return None
    content = _token_span(tok.doc, head.left_edge.i, head.right_edge.i)
    return _Raw(_chars(tok.doc, tok.i, tok.i), tok.i, content, None) if content else None


# ---------------------------------------------------------------------------------------- headlines

DASH_SOURCE_RE = re.compile(r"\s(?:--|[–—-])\s+([^–—\n]{2,60})$")


def _span_tokens(doc: Any, start: int, end: int) -> tuple[int, int] | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    return _strip(doc, span.start, span.end - 1) if span is not None and len(span) else None


SOURCE_ENTS = frozenset(["PERSON", "ORG", "GPE", "NORP"])


def _names_source(doc: Any, lo: int, hi: int) -> bool:
    """Does doc[lo:hi] name someone (a person, organisation, country) rather than a topic?"""
    if doc[lo].lower_ == "the" or (hi - lo == 1 and len(doc[lo]) == 1):
        return False
    named = any(doc[i].ent_type_ in SOURCE_ENTS for i in range(lo, hi))
    return named or all(doc[i].is_title or doc[i].is_punct for i in range(lo, hi))


def _speaker_label(doc: Any, lo: int, colon: int, cues: AttributionCues) -> bool:
    """A transcript's speaker label before a colon: one to three capitalised words ("TAPPER", "JAKE
    TAPPER"), not a single letter (interviews' Q and A) nor a section label ("UPDATE")."""
    words = [doc[i] for i in range(lo, colon) if not doc[i].is_punct]
    if not 1 <= len(words) <= 3 or not all(w.is_upper and w.is_alpha for w in words):
        return False
    return len(words[0]) > 1 and doc[lo:colon].text.lower() not in cues.section_labels


def _rest_of_paragraph(doc: Any, colon: int, end: int) -> Span | None:
    """What follows the colon token up to the paragraph's end (character ``end``), as it stands."""
    start = colon + 1
    while start < len(doc) and doc[start].is_space:
        start += 1
    return (doc[start].idx, end) if start < len(doc) and doc[start].idx < end else None


def _colon_headline(doc: Any, para: Span, cues: AttributionCues) -> _Raw | None:
    """'Trump: We will build the wall' at the start of a paragraph; also a transcript's speaker labels
    ("TAPPER: Do you think ...?")."""
    toks = _span_tokens(doc, *para)
    if toks is None:
        return None
    lo, hi = toks
    colon = next((i for i in range(lo, min(hi, lo + 7)) if doc[i].text == ":"), None)
    if colon is None or colon == lo or hi - colon < 2 or (not doc[lo].is_title and not doc[lo].is_upper):
        return None
    label = _speaker_label(doc, lo, colon, cues)
    if not label and (_has_verb(doc, lo, colon) or not _names_source(doc, lo, colon)):
        return None
    speaker = _strip(doc, lo, colon - 1)
    content = _token_span(doc, colon + 1, hi) if not label else _rest_of_paragraph(doc, colon, para[1])
    if speaker is None or content is None:
        return None
    head = doc[speaker[0] : speaker[1] + 1].root.i
    return _Raw(_chars(doc, colon, colon), colon, content, (speaker[0], speaker[1], head))


def _dash_headline(doc: Any, text: str, para: Span) -> _Raw | None:
    """'Russia Moves Troops to Border – U.S. Media': a headline ending in its source."""
    text = text[para[0] : para[1]]
    m = DASH_SOURCE_RE.search(text)
    if m is None or text.rstrip().endswith((".", "?", "!")) or len(m.group(1).split()) > 6:
        return None
    speaker = _span_tokens(doc, para[0] + m.start(1), para[0] + m.end(1))
    content = _span_tokens(doc, para[0], para[0] + m.start())
    dash = doc.char_span(para[0] + m.start() + 1, para[0] + m.start(1), alignment_mode="expand")
    if speaker is None or content is None or dash is None or not doc[speaker[0]].is_title:
        return None
    head = doc[speaker[0] : speaker[1] + 1].root.i
    return _Raw(_chars(doc, dash.start, dash.start), dash.start, _chars(doc, *content),
                (speaker[0], speaker[1], head))  # fmt: skip


SIGNATURE_RE = re.compile(r"[”\"»’][ \t\u00a0]*([―—–]|--?)[ \t\u00a0]*([^\n―—–]{2,60}?)[ \t\u00a0.]*(?=\n|$)")


def _signed_content(ctx: _Ctx, end: int) -> Span | None:
    """The quotation that ends at ``end``; failing that, its whole line if the line opens with a quotation
    mark (a mistyped opening mark leaves the quotation unpaired)."""
    quote = ctx.quote_ends.get(end)
    if quote is not None:
        return quote
    line = ctx.text.rfind("\n", 0, end) + 1
    while line < end and ctx.text[line] in " \t\u00a0":
        line += 1
    return (line, end) if ctx.text[line] in QUOTE_CHARS and line < end - 1 else None


def _signed_quotes(ctx: _Ctx) -> Iterator[_Raw]:
    """'"We are ashamed." ― Jane Doe': a quotation signed with a dash and a name that ends the line."""
    doc = ctx.doc
    for m in SIGNATURE_RE.finditer(ctx.text):
        content = _signed_content(ctx, m.start() + 1)
        if content is None or len(m.group(2).split()) > 6:
            continue
        speaker = _span_tokens(doc, m.start(2), m.end(2))
        dash = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if speaker is None or dash is None or doc[speaker[0]].idx != m.start(2):
            continue  # (a name glued to the dash is one token with it: no speaker span to give)
        lo, hi = speaker
        if not (doc[lo].is_title or doc[lo].is_upper) or not _names_source(doc, lo, hi + 1):
            continue
        if _has_verb(doc, lo, hi + 1):
            continue
        head = doc[lo : hi + 1].root.i
        yield _Raw((m.start(1), m.end(1)), dash[-1].i, content, (lo, hi, head))


COLON_SOURCE_RE = re.compile(
    r"(?:^|[.!?][”\"’]?\s+|\s[-–—]+\s+|\n)(?P<from>(?:More )?[Ff]rom )?"
    r"(?P<name>[A-Za-z](?:(?!\s[-–—]+\s)[^\n:.!?–—]){0,60}?):[ \t\u00a0]*$"
)


def _colon_quotes(ctx: _Ctx) -> Iterator[_Raw]:
    """'... in the polls - Carl Bialik: "One of the lessons ..."' and 'From the report: "..."': a name
    (no verb) and a colon just before a quotation."""
    doc = ctx.doc
    for quote in ctx.quotes:
        m = COLON_SOURCE_RE.search(ctx.text, max(0, quote[0] - 80), quote[0])
        if m is None or len(m.group("name").split()) > 6:
            continue
        speaker = _span_tokens(doc, m.start("name"), m.end("name"))
        colon = doc.char_span(m.end("name"), m.end("name") + 1, alignment_mode="expand")
        if speaker is None or colon is None or doc[speaker[0]].idx != m.start("name"):
            continue
        lo, hi = speaker
        if not (m.group("from") or doc[lo].is_title or doc[lo].is_upper):
            continue
        if _has_verb(doc, lo, hi + 1):
            continue
        if not (_names_source(doc, lo, hi + 1) or doc[hi].lemma_.lower() in ctx.cues.document_words):
            continue
        cue = (m.end("name"), m.end("name") + 1)
        yield _Raw(cue, colon[0].i, quote, (lo, hi, doc[lo : hi + 1].root.i))


def _headline_attributions(ctx: _Ctx) -> Iterator[_Raw]:
    for para in _paragraphs(ctx.text):
        raw = _colon_headline(ctx.doc, para, ctx.cues) or _dash_headline(ctx.doc, ctx.text, para)
        if raw is not None:
            yield raw


# -------------------------------------------------------------------------------- names and kinds


@dataclass(frozen=True, slots=True)
class _Person:
    token: int
    name: str
    gender: str | None
    subject: bool
    roles: frozenset[str]


@dataclass(slots=True)
class _People:
    """The named people of an article, in order, for resolving pronouns, surnames and titles."""

    persons: list[_Person] = field(default_factory=list)
    by_token: dict[int, int] = field(default_factory=dict)
    by_surname: dict[str, str] = field(default_factory=dict)

    def add(self, ent: Any, cues: AttributionCues) -> None:
        words = [t.text for t in ent if t.is_alpha or (t.text.endswith(".") and len(t) > 2)]
        words = [w for w in words if w.lower() not in cues.male_words | cues.female_words]
        if not words:
            return
        full = " ".join(words) if len(words) > 1 else self.by_surname.get(words[-1], words[-1])
        self.by_surname.setdefault(words[-1], full)
        subject = ent.root.dep_ in SUBJECT_DEPS
        person = _Person(ent.root.i, full, _gender(ent, cues), subject, _roles(ent, cues))
        for t in ent:
            self.by_token[t.i] = len(self.persons)
        self.persons.append(person)

    def recent(self, before: int, gender: str | None) -> _Person | None:
        fallback = None
        for p in reversed(self.persons):
            if p.token >= before or (gender and p.gender and p.gender != gender):
                continue
            if p.subject:
                return p
            fallback = fallback or p
        return fallback

    def with_role(self, before: int, role: str) -> _Person | None:
        return next((p for p in reversed(self.persons) if p.token < before and role in p.roles), None)


def _people(doc: Any, cues: AttributionCues) -> _People:
    people = _People()
    for ent in doc.ents:
        if ent.label_ == "PERSON":
            people.add(ent, cues)
    return people


def _gender(ent: Any, cues: AttributionCues) -> str | None:
    doc = ent.doc
    around = [doc[ent.start - 1].lower_] if ent.start > 0 else []
    around += [t.lower_ for t in ent] + list(_roles(ent, cues))
    if any(w in cues.male_words for w in around):
        return "m"
    if any(w in cues.female_words for w in around):
        return "f"
    return None


def _roles(ent: Any, cues: AttributionCues) -> frozenset[str]:
    """Role nouns before the name ('spokesman John Kirby') or in apposition ('Kirby, a spokesman')."""
    doc = ent.doc
    found = [
        doc[i].lower_ for i in range(max(0, ent.start - 3), ent.start) if doc[i].lower_ in cues.role_words
    ]
    root = ent.root
    found += [c.lemma_.lower() for c in root.children if c.dep_ == "appos"]
    if root.dep_ == "appos":
        found.append(root.head.lemma_.lower())
    return frozenset(w for w in found if w in cues.role_words)


PRONOUN_GENDER = {"he": "m", "him": "m", "she": "f", "her": "f"}


def _antecedent(h: Any) -> Any:
    """For a relative pronoun ("Smith, who said"), the noun it stands for."""
    if h.lower_ in ("who", "that", "which") and h.head.dep_ == "relcl":
        return h.head.head
    return h


def _resolve(h: Any, people: _People, cues: AttributionCues) -> str | None:
    if h.i in people.by_token:
        return people.persons[people.by_token[h.i]].name
    low = h.lower_
    if low in PRONOUN_GENDER or low == "i":
        p = people.recent(h.i, PRONOUN_GENDER.get(low))
        return p.name if p else None
    if h.lemma_.lower() in cues.role_words:
        p = people.with_role(h.i, h.lemma_.lower())
        return p.name if p else None
    return None


def _has(words: set[str], text: str, vocab: frozenset[str]) -> bool:
    return bool(words & vocab) or any(" " in w and w in text for w in vocab)


def _noun_kind(h: Any, words: set[str], text: str, cues: AttributionCues) -> str:
    lemma = h.lemma_.lower()
    if h.ent_type_ in ("GPE", "NORP") or lemma in cues.government_words:
        return "government"
    if (
        lemma in cues.media_words
        or h.lower_ in cues.media_words
        or (h.ent_type_ in ("ORG", "WORK_OF_ART") and _has(words, text, cues.media_words))
    ):
        return "media"
    if lemma in cues.document_words:
        return "document"
    if h.ent_type_ == "ORG":
        return "government" if _has(words, text, cues.government_words) else "organization"
    if lemma in cues.group_words or h.tag_ in ("NNS", "NNPS"):
        return "unnamed_group"
    if lemma in cues.role_words:
        return "official_role"
    return "organization" if h.pos_ == "PROPN" or lemma in cues.organization_words else "unnamed_group"


def _kind(h: Any, lo: int, hi: int, name: str | None, cues: AttributionCues) -> str:
    span = h.doc[lo : hi + 1]
    words = {t.lower_ for t in span}
    if h.lower_ in PRONOUN_GENDER or h.lower_ == "i" or h.ent_type_ == "PERSON":
        return "named_person"
    if words & cues.anonymous_words and not any(t.ent_type_ == "PERSON" for t in span):
        return "anonymous"
    if h.lower_ in ("they", "we", "you"):
        return "unnamed_group"
    if name is not None and h.lemma_.lower() not in cues.role_words:
        return "named_person"
    return _noun_kind(h, words, span.text.lower(), cues)


def _speaker_ref(rng: tuple[int, int, int], ctx: _Ctx, people: _People) -> SpeakerRef:
    doc = ctx.doc
    lo, hi, head = rng
    s, e = _chars(doc, lo, hi)
    h = _antecedent(doc[head])
    name = _resolve(h, people, ctx.cues)
    kind = _kind(h, lo, hi, name, ctx.cues) if h.i == head else _kind(h, h.i, h.i, name, ctx.cues)
    return SpeakerRef(ctx.text[s:e], s, e, name, kind, head)


# ------------------------------------------------------------------------- channel, denial, form

CHANNEL_PREPS = frozenset(["in", "on", "at", "during", "via", "through", "over", "to"])
NOT_PROGRAMMES = frozenset(["DATE", "TIME", "GPE", "NORP", "LOC", "CARDINAL", "ORDINAL", "PERSON"])


def _channel_words(doc: Any, lo: int, hi: int, cues: AttributionCues) -> str | None:
    for i in range(lo, hi + 1):
        tok = doc[i]
        if i < hi and f"{tok.lower_} {doc[i + 1].lower_}" in cues.channels:
            return cues.channels[f"{tok.lower_} {doc[i + 1].lower_}"]
        if tok.pos_ == "NOUN" and tok.lemma_.lower() in cues.channels:
            return cues.channels[tok.lemma_.lower()]
        if tok.lower_ in ("twitter", "facebook", "instagram", "telegram") and tok.lower_ in cues.channels:
            return cues.channels[tok.lower_]
    return None


def _programme(pobj: Any) -> str | None:
    """The name of a programme or outlet after 'on' ('said on Meet the Press')."""
    if pobj.pos_ != "PROPN" or pobj.ent_type_ in NOT_PROGRAMMES:
        return None
    for ent in pobj.doc.ents:
        if ent.start <= pobj.i < ent.end:
            return str(ent.text)
    lo = pobj.i
    while lo > pobj.left_edge.i and pobj.doc[lo - 1].dep_ == "compound":
        lo -= 1
    return str(pobj.doc[lo : pobj.i + 1].text)


def _quoted_title(prep: Any) -> str | None:
    """'on “Meet the Press”': the quoted title right after the preposition."""
    doc = prep.doc
    if prep.i + 2 >= len(doc) or doc[prep.i + 1].text not in OPEN_DOUBLE | AMBIGUOUS_DOUBLE:
        return None
    end = next((k for k in range(prep.i + 2, min(prep.i + 12, len(doc))) if doc[k].text in QUOTE_CHARS), None)
    return str(doc[prep.i + 2 : end].text) if end else None


def _prep_channel(prep: Any, cues: AttributionCues) -> str | None:
    title = _quoted_title(prep) if prep.lower_ == "on" else None
    if title:
        return title
    pobj = _child(prep, ("pobj",))
    if pobj is None or prep.lower_ not in CHANNEL_PREPS:
        return None
    found = _channel_words(prep.doc, pobj.left_edge.i, pobj.right_edge.i, cues)
    return found or (_programme(pobj) if prep.lower_ == "on" else None)


def _channel(tok: Any, raw: _Raw, cues: AttributionCues) -> str | None:
    """Statement, interview, press conference, a programme's name...: how the words were delivered."""
    by_verb = cues.channel_verbs.get(tok.lemma_.lower()) if tok.pos_ == "VERB" else None
    if by_verb:
        return by_verb
    nodes = [tok, *(c for c in tok.children if c.dep_ in ("advcl", "acl", "dobj", "dative"))]
    for node in nodes:
        for prep in node.children:
            found = _prep_channel(prep, cues) if prep.dep_ == "prep" else None
            if found:
                return found
    if raw.speaker is not None:
        return _channel_words(tok.doc, raw.speaker[2], raw.speaker[2], cues)
    return None


@functools.lru_cache(maxsize=8)
def _denial_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return (
        re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
        if phrases
        else re.compile("$^")
    )


def _is_denial(tok: Any, raw: _Raw, ctx: _Ctx) -> bool:
    """Cues like deny, reject, dismiss, and content calling a claim fake news, disinformation, untrue."""
    if tok.lemma_.lower() in ctx.cues.denial_verbs:
        return True
    text = ctx.text
    said = f"{text[raw.cue[0] : raw.cue[1]]} {text[raw.content[0] : raw.content[1]]}".lower()
    return ctx.denial.search(said) is not None


def _form(ctx: _Ctx, span: Span) -> str:
    """direct (the content is quoted), mixed (partly quoted) or indirect."""
    s, e = span
    first = ctx.quote_at(s)
    if first is not None and first[0] == s and e in ctx.quote_ends:
        return "direct"
    k = bisect.bisect_left(ctx.quote_starts, s)
    return "mixed" if k < len(ctx.quotes) and ctx.quotes[k][0] < e else "indirect"


# ------------------------------------------------------------------------------------------- driver


def _raws(ctx: _Ctx) -> list[_Raw]:
    found: dict[int, _Raw] = {}
    consumed: set[int] = set()
    first_words = ctx.lexicon.first_words
    for tok in ctx.doc:
        if tok.lower_ in first_words:
            raw = _phrase_attribution(tok, ctx)
        elif tok.lower_ == "in":
            raw = _in_source_attribution(tok, ctx)
        elif tok.lower_ in ctx.cues.cue_adverbs:
            raw = _adverb_attribution(tok)
        else:
            raw = _raising_attribution(tok, ctx) or _verb_attribution(tok, ctx, consumed)
        if raw is not None and ctx.quote_at(tok.idx) is None:
            found[tok.i] = raw
    raws = [r for i, r in found.items() if i not in consumed]
    seen = {r.cue for r in raws}
    raws += [r for r in _headline_attributions(ctx) if r.cue not in seen]
    raws += [r for r in _signed_quotes(ctx) if not any(_overlaps(r.content, k.content) for k in raws)]
    raws += [r for r in _colon_quotes(ctx) if not any(_overlaps(r.content, k.content) for k in raws)]
    return sorted(_outermost(ctx.doc, raws), key=lambda r: r.cue)


SIDE_DEPS = frozenset(["relcl", "acl", "conj", "appos", "advcl", "parataxis"])


def _nested(doc: Any, inner: _Raw, outer: _Raw) -> bool:
    """An attribution reported inside another's content ("said Jones told him ..."), not one standing
    beside it in a relative clause, conjunct or adverbial clause ("..., which he said ...")."""
    if inner is outer or not outer.content[0] <= inner.cue[0] < outer.content[1]:
        return False
    node = doc[inner.cue_token]
    for _ in range(12):
        if node.i == outer.cue_token or node.head.i == node.i:
            return True
        if node.dep_ in SIDE_DEPS:
            return False
        node = node.head
    return True


def _outermost(doc: Any, raws: list[_Raw]) -> list[_Raw]:
    """Attributions not nested in another one's content (PolNeAR does not nest them)."""
    kept: list[_Raw] = []
    for raw in sorted(raws, key=lambda r: r.content[0] - r.content[1]):
        if not any(_nested(doc, raw, k) for k in kept):
            kept.append(raw)
    return kept


def _finish(raw: _Raw, n: int, ctx: _Ctx, people: _People, sent_starts: list[int]) -> Attribution:
    text = ctx.text
    tok = ctx.doc[raw.cue_token]
    return Attribution(
        id=f"a{n}",
        speaker=_speaker_ref(raw.speaker, ctx, people) if raw.speaker else None,
        cue_text=text[raw.cue[0] : raw.cue[1]],
        cue_start=raw.cue[0],
        cue_end=raw.cue[1],
        content_text=text[raw.content[0] : raw.content[1]],
        content_start=raw.content[0],
        content_end=raw.content[1],
        form=_form(ctx, raw.content),
        channel=_channel(tok, raw, ctx.cues),
        via=tuple(_speaker_ref(v, ctx, people) for v in raw.via),
        sentence_index=bisect.bisect_right(sent_starts, raw.cue_token) - 1,
        denial=_is_denial(tok, raw, ctx),
    )


def extract_attributions(doc: Any, cues: AttributionCues) -> list[Attribution]:
    """Every attribution of a parsed article, in text order; spans are offsets into ``doc.text``."""
    ctx = _Ctx(doc, cues)
    raws = _raws(ctx)
    if not raws:
        return []
    people = _people(doc, cues)
    sent_starts = [s.start for s in doc.sents]
    return [_finish(raw, n, ctx, people, sent_starts) for n, raw in enumerate(raws, 1)]
