"""core.settings: one Settings object from defaults, .env, the environment and overrides."""

from __future__ import annotations

from decimal import Decimal

import pydantic
import pytest

from core.errors import ConfigurationError, InvoiceAgentError
from core.settings import Settings


def load(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from `environ` alone: no .env file and not the process environment."""
    return Settings.from_env(environ or {}, dotenv_path=None, **overrides)


# The defaults from design.md's configuration table.
DESIGN_DEFAULTS = [
    ("port", 8000),
    ("flower_port", 5555),
    ("redis_url", "redis://127.0.0.1:6379/0"),
    ("llm_provider", "auto"),
    ("aws_region", "us-east-1"),
    ("bedrock_model_id", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("bedrock_endpoint_url", ""),
    ("llm_max_tokens", 4096),
    ("llm_temperature", Decimal("0.7")),
    ("session_ttl_seconds", 3600),
    ("token_limit", 200_000),
    ("token_warn", 160_000),
    ("api_keys", ()),
    ("cors_origins", ("http://localhost:3000", "http://localhost:8000")),
    ("turn_rate_limit", "30/minute"),
    ("read_rate_limit", "600/minute"),
    ("host", "127.0.0.1"),
    ("max_invoice_lines", 500),
    ("export_concurrency", 2),
    ("worker_concurrency", 64),
    ("job_visibility_timeout", 900),
    ("llm_history_turns", 20),
    ("llm_prompt_cache", True),
    ("llm_rate_limit", ""),
    ("batch_max_items", 1000),
    ("flower_basic_auth", ""),
    ("max_request_bytes", 1_048_576),
    ("max_message_chars", 8000),
]


@pytest.mark.parametrize(("name", "value"), DESIGN_DEFAULTS)
def test_defaults_match_the_design(name, value):
    assert getattr(load(), name) == value


def test_defaults_derived_values():
    settings = load()
    assert settings.broker_url == "redis://127.0.0.1:6379/0"  # CELERY_BROKER_URL = REDIS_URL
    assert settings.auth_enabled is False
    assert settings.job_time_limit < settings.job_visibility_timeout


def test_an_explicit_environ_replaces_the_process_environment(monkeypatch):
    monkeypatch.setenv("PORT", "1234")
    assert load().port == 8000
    assert Settings.from_env(dotenv_path=None).port == 1234  # environ=None reads os.environ


def test_environment_values_are_converted():
    settings = load(
        {
            "PORT": " 9000 ",
            "REDIS_URL": "redis://cache:6379/2 ",
            "CELERY_BROKER_URL": "amqp://guest:guest@rabbit:5672//",
            "TOKEN_LIMIT": "1000",
            "TOKEN_WARN": "800",
            "LLM_PROMPT_CACHE": "off",
            "LLM_PROVIDER": "offline",
            "TURN_RATE_LIMIT": "10 per second",
            "READ_RATE_LIMIT": "1000/hour",
        }
    )
    assert settings.port == 9000
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.broker_url == "amqp://guest:guest@rabbit:5672//"
    assert (settings.token_limit, settings.token_warn) == (1000, 800)
    assert settings.llm_prompt_cache is False
    assert settings.llm_provider == "offline"
    assert settings.turn_rate_limit == "10 per second"
    assert settings.read_rate_limit == "1000/hour"


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("API_KEYS", "key-one,key-two", ("key-one", "key-two")),
        ("API_KEYS", " a , b ,, c ,", ("a", "b", "c")),
        ("API_KEYS", "", ()),
        ("CORS_ORIGINS", "https://app.example.com", ("https://app.example.com",)),
        (
            "CORS_ORIGINS",
            "https://a.test, http://b.test:8080",
            ("https://a.test", "http://b.test:8080"),
        ),
    ],
)
def test_lists_are_split_on_commas(name, raw, expected):
    assert getattr(load({name: raw}), name.lower()) == expected


def test_api_keys_turn_auth_on():
    assert load({"API_KEYS": "secret"}).auth_enabled is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
    ],
)
def test_booleans(raw, expected):
    assert load({"LLM_PROMPT_CACHE": raw}).llm_prompt_cache is expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PORT", "eighty"),
        ("TOKEN_LIMIT", "12.5"),
        ("WORKER_CONCURRENCY", ""),
        ("MAX_REQUEST_BYTES", "1MB"),
        ("LLM_PROMPT_CACHE", "maybe"),
    ],
)
def test_a_value_that_cannot_be_parsed_names_its_variable(name, raw):
    with pytest.raises(ConfigurationError) as caught:
        load({name: raw})
    assert caught.value.message.startswith(f"{name}:")
    assert caught.value.to_dict()["code"] == "configuration_error"
    assert isinstance(caught.value, InvoiceAgentError)


@pytest.mark.parametrize(
    ("environ", "mentions"),
    [
        ({"TOKEN_WARN": "200001"}, "TOKEN_WARN"),
        ({"TOKEN_LIMIT": "1000", "TOKEN_WARN": "1001"}, "TOKEN_WARN"),
        ({"LLM_PROVIDER": "gpt"}, "LLM_PROVIDER"),
        ({"TURN_RATE_LIMIT": "lots"}, "TURN_RATE_LIMIT"),
        ({"READ_RATE_LIMIT": "0/minute"}, "READ_RATE_LIMIT"),
        ({"MAX_INVOICE_LINES": "0"}, "MAX_INVOICE_LINES"),
        ({"SESSION_TTL_SECONDS": "0"}, "SESSION_TTL_SECONDS"),
        ({"TOKEN_LIMIT": "-1", "TOKEN_WARN": "-2"}, "TOKEN_LIMIT"),
        ({"JOB_VISIBILITY_TIMEOUT": "300"}, "JOB_TIME_LIMIT"),  # a turn would run twice
    ],
)
def test_contradictory_or_unusable_values_are_refused(environ, mentions):
    with pytest.raises(ConfigurationError, match=mentions):
        load(environ)


@pytest.mark.parametrize(
    "environ",
    [
        {"TOKEN_LIMIT": "1000", "TOKEN_WARN": "1000"},  # warning at the limit is allowed
        {"LLM_PROVIDER": "tests.support.fake:Provider"},
        {"TURN_RATE_LIMIT": "100/hour", "READ_RATE_LIMIT": "1/second"},
    ],
)
def test_boundary_values_are_accepted(environ):
    load(environ)


def test_dotenv_is_read_but_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "PORT=9100\n"
        "REDIS_URL=redis://from-dotenv:6379/1\n"
        "# a comment\n"
        "API_KEYS=dotenv-key\n"
        "TOKEN_WARN=1000\n"
    )
    settings = Settings.from_env({"PORT": "9200", "TOKEN_LIMIT": "5000"}, dotenv_path=dotenv)
    assert settings.port == 9200  # the environment wins
    assert settings.redis_url == "redis://from-dotenv:6379/1"  # only in .env
    assert settings.api_keys == ("dotenv-key",)
    assert (settings.token_limit, settings.token_warn) == (5000, 1000)  # both sources combine


def test_overrides_win_over_dotenv_and_environment(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=9100\nAPI_KEYS=dotenv-key\n")
    settings = Settings.from_env(
        {"PORT": "9200"}, dotenv_path=dotenv, port=9300, api_keys=("override-key",)
    )
    assert settings.port == 9300
    assert settings.api_keys == ("override-key",)


def test_overrides_are_validated_too():
    with pytest.raises(ConfigurationError, match="TOKEN_WARN"):
        load(token_warn=300_000)


def test_a_missing_dotenv_file_is_not_an_error(tmp_path):
    assert Settings.from_env({}, dotenv_path=tmp_path / "absent.env").port == 8000


def test_a_bad_value_in_dotenv_names_its_variable(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("FLOWER_PORT=high\n")
    with pytest.raises(ConfigurationError, match="^FLOWER_PORT:"):
        Settings.from_env({}, dotenv_path=dotenv)


def test_settings_are_frozen():
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        load().port = 1  # type: ignore[misc]


def test_the_representation_shows_no_secret():
    settings = load(
        {
            "API_KEYS": "key-alpha-7f3e,key-beta-91c2",
            "REDIS_URL": "redis://:redis-pass-4711@cache:6379/0",
            "CELERY_BROKER_URL": "amqp://rabbit-user:rabbit-pass-4712@mq:5672//",
            "FLOWER_BASIC_AUTH": "ops:flower-pass-4713",
        }
    )
    for shown in (repr(settings), str(settings), f"{settings}"):
        for secret in ("key-alpha-7f3e", "key-beta-91c2", "redis-pass-4711", "rabbit-pass-4712",
                       "flower-pass-4713", "rabbit-user"):  # fmt: skip
            assert secret not in shown
        assert "cache:6379" in shown and "mq:5672" in shown  # where it points is still shown


@pytest.mark.parametrize(
    ("environ", "mentions"),
    [
        ({"LLM_TEMPERATURE": "warm"}, "LLM_TEMPERATURE"),
        ({"LLM_TEMPERATURE": "1.5"}, "LLM_TEMPERATURE"),
        ({"LLM_TEMPERATURE": "NaN"}, "LLM_TEMPERATURE"),
        ({"LLM_MAX_TOKENS": "0"}, "LLM_MAX_TOKENS"),
        ({"LLM_RATE_LIMIT": "lots"}, "LLM_RATE_LIMIT"),
        ({"PORT": "70000"}, "PORT"),
        ({"UNKNOWN_SETTING": "1"}, None),  # not ours: ignored, the environment is shared
    ],
)
def test_every_variable_is_validated_where_it_is_read(environ, mentions):
    if mentions is None:
        load(environ)
        return
    with pytest.raises(ConfigurationError, match=mentions):
        load(environ)


def test_one_rate_parser_reads_every_rate():
    from core.settings import parse_rate

    assert parse_rate("600").amount == 600 and parse_rate("600").get_expiry() == 60
    assert parse_rate("10 per second").get_expiry() == 1
    assert parse_rate("") is None
    for bad in ("0/minute", "fast", "-3/hour"):
        with pytest.raises(ValueError):
            parse_rate(bad)
