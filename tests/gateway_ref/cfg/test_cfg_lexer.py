"""Lexer: comments, continuation, limits and positions (secgw-reference.md 1.1)."""
import pytest

from gateway_ref.cfg.errors import ConfigError, SourcePos
from gateway_ref.cfg.lexer import lex


def words(text: str) -> list[list[str]]:
    return [[t.text for t in rule.tokens] for rule in lex(text, "f.cfg")]


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        list(lex(text, "f.cfg"))
    return str(info.value)


def test_tokens_carry_file_line_and_column():
    rules = list(lex("\n  rt ipv4  dst 198.18.0.0/16\n", "f.cfg"))
    assert [t.pos for t in rules[0].tokens] == [
        SourcePos("f.cfg", 2, 3), SourcePos("f.cfg", 2, 6), SourcePos("f.cfg", 2, 12),
        SourcePos("f.cfg", 2, 16)]


def test_hash_cuts_rest_of_line_and_whole_line_comment_is_skipped():
    assert words("# all\nrt ipv4 dst x#y z\n   # indented\n") == [["rt", "ipv4", "dst", "x"]]


def test_continuation_joins_without_separator_so_tokens_can_split():
    text = "sa in 7 aead_key de:ad:\\\nbe:ef mode\n"
    assert words(text) == [["sa", "in", "7", "aead_key", "de:ad:be:ef", "mode"]]


def test_split_token_positions_follow_physical_lines():
    rule = next(lex("neigh port 0 02:00:\\\n00:00:00:01\n", "f.cfg"))
    mac = rule.tokens[3]
    assert mac.pos == SourcePos("f.cfg", 1, 14)
    assert mac.pos_at(6) == SourcePos("f.cfg", 2, 1)


def test_space_before_backslash_separates_tokens():
    assert words("rt ipv4 \\\ndst p\n") == [["rt", "ipv4", "dst", "p"]]


def test_whole_line_comment_inside_continuation_keeps_accumulating():
    assert words("rt ipv4 \\\n# note\ndst p\n") == [["rt", "ipv4", "dst", "p"]]


def test_indented_comment_inside_continuation_ends_the_rule():
    assert words("rt ipv4 \\\n  # note\ndst p\n") == [["rt", "ipv4"], ["dst", "p"]]


def test_blank_line_ends_a_continued_rule():
    assert words("rt ipv4 \\\n\ndst p\n") == [["rt", "ipv4"], ["dst", "p"]]


def test_backslash_space_comment_happens_to_work():
    assert words("rt ipv4 \\ #x\ndst p\n") == [["rt", "ipv4", "dst", "p"]]


def test_backslash_directly_before_comment_is_an_error():
    assert error("rt ipv4 \\#x\ndst p\n") == (
        "f.cfg:1:9: error: no character should exist after '\\' (a '\\' needs a newline "
        "right after it)")


def test_text_after_backslash_is_an_error_at_the_backslash():
    assert error("rt ipv4 \\ dst\n").startswith(
        "f.cfg:1:9: error: no character should exist after '\\' (found ' dst')")


def test_backslash_before_crlf_is_an_error_naming_line_endings():
    assert "CR LF" in error("rt ipv4 \\\r\ndst p\r\n")


def test_crlf_lines_without_continuation_parse():
    assert words("rt ipv4 dst p\r\nneigh port\r\n") == [["rt", "ipv4", "dst", "p"], ["neigh", "port"]]


def test_backslash_on_last_line_without_newline_is_an_error():
    assert error("rt ipv4 \\").startswith("f.cfg:1:9: error: no character should exist")


def test_continuation_pending_at_end_of_file_is_an_error():
    assert error("rt ipv4 \\\n") == (
        "f.cfg:1:9: error: rule started on line 1 ends with '\\' but the file has no next line")


def test_1022_characters_are_accepted_1023_rejected():
    ok = "rt " + "x" * 1019
    assert len(ok) == 1022
    assert words(ok + "\n")[0][1] == "x" * 1019
    assert error(ok + "y\n") == (
        "f.cfg:1:1023: error: the line has 1023 characters; the parser handles at most 1022")


def test_long_comment_does_not_count_toward_the_limit():
    assert words("rt a # " + "c" * 2000 + "\n") == [["rt", "a"]]


def test_joined_rule_limit():
    text = "rt " + "a" * 600 + "\\\n" + "b" * 600 + "\n"
    assert "at most 1022 allowed" in error(text)


def test_32_arguments_allowed_33_rejected():
    assert len(words("sp " + " ".join(["w"] * 32))[0]) == 33
    message = error("sp " + " ".join(f"w{i}" for i in range(33)))
    assert message.startswith("f.cfg:1:")
    assert "too many arguments" in message and "has 33" in message


def test_only_c_isspace_separates_tokens():
    assert words("rt\tipv4\vdst\fp\n") == [["rt", "ipv4", "dst", "p"]]
    assert words("rt ipv4\u00a0dst\n") == [["rt", "ipv4\u00a0dst"]]


def test_nul_character_is_an_error():
    assert error("rt ip\0v4\n") == "f.cfg:1:6: error: NUL character in the cfg text"
