import logging

from livereview import settings as settings_module
from livereview.settings import load_settings, unknown_variables


def test_a_mistyped_variable_is_named_with_the_closest_setting():
    env = {"LIVEREVIEW_HTTP_RETRY": "2", "LIVEREVIEW_HTTP_RETRIES": "3", "LIVEREVIEW_ZZZ": "1", "HOME": "/h",
           "LIVEREVIEW_TEST_POSTGRES_URL": "postgresql://x"}
    assert unknown_variables(env) == {"LIVEREVIEW_HTTP_RETRY": "LIVEREVIEW_HTTP_RETRIES", "LIVEREVIEW_ZZZ": None}


def test_an_unknown_variable_is_warned_about_once(monkeypatch, caplog):
    monkeypatch.setenv("LIVEREVIEW_NCBI_APIKEY", "x")
    monkeypatch.setattr(settings_module, "_warned", set())
    caplog.set_level(logging.WARNING, logger="livereview.settings")
    load_settings()
    load_settings()
    lines = [r.getMessage() for r in caplog.records if "LIVEREVIEW_NCBI_APIKEY" in r.getMessage()]
    assert lines == ["LIVEREVIEW_NCBI_APIKEY is not a livereview setting and is ignored "
                     "(did you mean LIVEREVIEW_NCBI_API_KEY?)"]
