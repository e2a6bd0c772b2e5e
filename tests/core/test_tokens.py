"""core.tokens: cl100k_base counts (shipped offline) and the green/red zones."""

from __future__ import annotations

import pytest
import tiktoken

from core.tokens import ENCODING_NAME, count_tokens, token_warning, token_zone

WARN, LIMIT = 160_000, 200_000  # design.md defaults


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("hello world", 2),  # [15339, 1917]
        ("tiktoken is great!", 6),  # OpenAI cookbook: [83, 1609, 5963, 374, 2294, 0]
    ],
)
def test_count_tokens_matches_known_cl100k_counts(text, tokens):
    assert count_tokens(text) == tokens


def test_the_offline_encoding_has_the_cl100k_base_ranks():
    encoding = tiktoken.get_encoding(ENCODING_NAME)
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert encoding.encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]


def test_special_token_text_is_counted_as_ordinary_text():
    # as a special token it would be one token, and plain encode() would refuse it
    assert count_tokens("<|endoftext|>") > 1


def test_count_grows_with_the_text():
    one = count_tokens("Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax.")
    assert 5 < one < 40
    assert (
        count_tokens("Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax. " * 10)
        > 9 * one
    )


@pytest.mark.parametrize(
    ("count", "zone"),
    [
        (0, "green"),
        (WARN - 1, "green"),
        (WARN, "red"),  # red from the threshold on
        (WARN + 1, "red"),
        (LIMIT, "red"),
        (LIMIT + 1, "red"),
    ],
)
def test_zone_is_green_below_the_warning_threshold_and_red_from_it(count, zone):
    assert token_zone(count, WARN) == zone
    warning = token_warning(count, WARN, LIMIT)
    if zone == "green":
        assert warning is None
    else:
        assert f"{count:,}" in warning
        assert "200,000" in warning
        assert "new session" in warning


def test_zone_follows_the_configured_threshold():
    assert token_zone(100, 100) == "red"
    assert token_zone(99, 100) == "green"
    assert token_warning(99, 100, 1000) is None
    assert "1,000" in token_warning(100, 100, 1000)
