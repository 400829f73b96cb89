from hypothesis import given, settings
from hypothesis import strategies as st

from services.notifications.domain.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    count_segments,
)


def test_plain_ascii_up_to_160_is_one_gsm7_segment():
    info = count_segments("a" * 160)
    assert (info.encoding, info.units, info.segments) == (Encoding.GSM7, 160, 1)


def test_161_gsm7_characters_take_two_segments_of_153():
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_extension_characters_cost_two_septets():
    info = count_segments("€" * 80)
    assert (info.encoding, info.units, info.segments) == (Encoding.GSM7, 160, 1)
    assert count_segments("€" * 80 + "a").segments == 2


def test_escape_pair_is_not_split_across_segments():
    # 152 septets then a two-septet character: it cannot straddle the 153 boundary.
    text = "a" * 152 + "{" + "a" * 152
    info = count_segments(text)
    assert info.units == 306
    assert info.segments == 3


def test_one_non_gsm_character_switches_to_ucs2_70_67():
    assert count_segments("é" * 70).encoding is Encoding.GSM7  # é is in the GSM basic set
    info = count_segments("a" * 69 + "ā")
    assert (info.encoding, info.units, info.segments) == (Encoding.UCS2, 70, 1)
    assert count_segments("a" * 70 + "ā").segments == 2
    assert count_segments("ā" * 134).segments == 2
    assert count_segments("ā" * 135).segments == 3


def test_emoji_takes_two_utf16_units_and_is_not_split():
    info = count_segments("😀" * 35)
    assert (info.encoding, info.units, info.segments) == (Encoding.UCS2, 70, 1)
    assert count_segments("a" * 68 + "😀").segments == 1  # 70 units
    text = "a" * 66 + "😀" + "a" * 66  # 134 units = 2 x 67, but the pair cannot straddle the boundary
    info = count_segments(text)
    assert (info.units, info.segments) == (134, 3)


def test_curly_quotes_and_en_dash_are_not_gsm7():
    assert count_segments("Kamis – 10/12").encoding is Encoding.UCS2
    assert count_segments("‘Aula’").encoding is Encoding.UCS2


def test_empty_text_is_one_segment():
    assert count_segments("").segments == 1


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=800)


@settings(deadline=None)  # no timing: machines are noisy
@given(gsm_text)
def test_gsm7_segments_bound_the_septets(text):
    info = count_segments(text)
    assert info.encoding is Encoding.GSM7
    if info.units <= 160:
        assert info.segments == 1
    else:
        # packing never does better than division and loses at most one septet per boundary
        assert -(-info.units // 153) <= info.segments <= -(-info.units // 152)


@settings(deadline=None)  # no timing: machines are noisy
@given(st.text(min_size=1, max_size=400))
def test_segments_grow_with_text(text):
    assert count_segments(text + text).segments >= count_segments(text).segments
