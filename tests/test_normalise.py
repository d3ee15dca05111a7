from hypothesis import given
from hypothesis import strategies as st

from jixiao.offsets import OffsetMap
from jixiao.read.normalise import normalise_text


def test_full_width_forms_become_ascii_but_prose_punctuation_stays():
    text, _ = normalise_text("２０２４年，完成率１００％（含），ＡＢＣ＝１")
    assert text == "2024年，完成率100%（含），ABC=1"


def test_debris_and_invisible_characters_are_removed():
    text, _ = normalise_text("标题[image: ]\u200b正文[bookmark: _GoBack]\x07结束\r\n下一行")
    assert text == "标题正文结束\n下一行"


def test_spaces_inside_numbers_and_before_units_are_closed():
    text, _ = normalise_text("支出 207.59 万元，比例 100.00 %，目标 ≥ 95%，合计 7, 047 .5")
    assert text == "支出 207.59万元，比例 100.00%，目标 ≥95%，合计 7,047.5"


def test_a_letter_o_read_for_a_zero_inside_a_figure_is_the_digit_again():
    text, offsets = normalise_text("目标≥1O0元，完成10O%，得分101OO%10；O2O模式，Office办公")
    assert text == "目标≥100元，完成100%，得分10100%10；O2O模式，Office办公"
    # Same length: every offset still points at the figure it read.
    assert offsets.to_original_span(2, 7) == (2, 7)


def test_tabs_and_newlines_survive():
    text, _ = normalise_text("\t一级指标\n\t\n\t二级指标\n")
    assert text == "\t一级指标\n\t\n\t二级指标\n"


def test_every_normalised_span_shows_in_the_original():
    original = "预算数 ８１８.９３ 万元[image: x]，执行率\u200b９１.１１ ％。"
    text, offsets = normalise_text(original)
    start = text.index("818.93万元")
    o_start, o_end = offsets.to_original_span(start, start + len("818.93万元"))
    assert original[o_start:o_end] == "８１８.９３ 万元"
    start = text.index("91.11%")
    o_start, o_end = offsets.to_original_span(start, start + len("91.11%"))
    assert original[o_start:o_end] == "９１.１１ ％"
    assert offsets.to_edited_span(o_start, o_end) == (start, start + len("91.11%"))


_pieces = st.sampled_from(
    [
        "预算",
        "万元",
        " ",
        "  ",
        "\r\n",
        "\n",
        "\t",
        "１２",
        "3",
        ".",
        ",",
        "%",
        "≥",
        "[image: ]",
        "\u200b",
        "，",
    ]
)


@given(st.lists(_pieces, max_size=40))
def test_offsets_map_both_ways(pieces):
    original = "".join(pieces)
    text, offsets = normalise_text(original)
    assert offsets.edited_length == len(text)
    start, end = offsets.to_original_span(0, len(text))
    assert normalise_text(original[start:end])[0] == text
    previous = 0
    for position in range(len(text) + 1):
        mapped = offsets.to_original(position)
        assert previous <= mapped <= len(original)
        previous = mapped
        # Untouched characters map to themselves, modulo width.
        if position < len(text) and text[position] in "预算万元":
            assert original[mapped] == text[position]
            assert offsets.to_edited(mapped) == position


def test_identity_map():
    offsets = OffsetMap([], 5)
    assert [offsets.to_original(i) for i in range(6)] == list(range(6))
