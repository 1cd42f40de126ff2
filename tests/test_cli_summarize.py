"""``digest summarize``: files, folders and URLs (from a real local HTTP server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli.main import main
from digest.resources import samples_dir
from tests.conftest import ConfigWriter
from tests.support.httpd import LocalHTTPServer
from tests.support.llm_server import LocalLLMServer, Reply, echo_sentences

SAMPLES = samples_dir()
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run where no config.toml exists, so the defaults apply unless a test gives one."""
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    monkeypatch.delenv("DIGEST_LLM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["summarize", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_folder_gives_one_json_line_per_article_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--json", str(SAMPLES / "science"))
    assert (code, err) == (0, "")
    records = json_lines(out)
    files = sorted(p.name for p in (SAMPLES / "science").iterdir())
    assert [r["target"] for r in records] == files  # named by their path inside the folder
    for record in records:
        assert set(record) == {"target", "title", "summary", "sentences", "text"}
        sentences = record["sentences"]
        assert isinstance(sentences, list) and 1 <= len(sentences) <= 3
        assert record["summary"] == " ".join(sentences)
        assert isinstance(record["text"], str) and len(record["text"].split()) > 200
        assert record["title"] and record["title"] not in record["summary"]


def test_sentences_option_sets_the_budget(capsys: pytest.CaptureFixture[str]) -> None:
    target = str(SAMPLES / "technology" / "rail-operator-qr-ticket-outage.txt")
    code, out, _ = run(capsys, "--json", "--sentences", "1", target)
    (record,) = json_lines(out)
    assert code == 0 and len(record["sentences"]) == 1  # type: ignore[arg-type]
    assert record["target"] == target  # a file is named as given


def test_url_targets_are_fetched_and_extracted(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer
) -> None:
    httpd.route("/news/article", (PAGES / "news_article.html").read_bytes())
    url = httpd.url("/news/article")
    code, out, err = run(capsys, "--json", url)
    assert (code, err) == (0, "")
    (record,) = json_lines(out)
    assert record["target"] == url
    assert record["summary"] and record["text"]
    for junk in ("Share", "Sign up", "Download our app", "cookies"):
        assert junk not in record["summary"]


def test_a_bad_target_is_one_line_on_stderr_and_the_others_still_run(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, tmp_path: Path
) -> None:
    httpd.route("/gone", b"", status=404)
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG")
    good = str(SAMPLES / "world" / "andean-towns-vote-on-glacier-water-rationing.md")
    code, out, err = run(
        capsys, "--json", "missing.md", good, httpd.url("/gone"), str(image), "ftp://x/y"
    )
    assert code == 1
    assert [r["target"] for r in json_lines(out)] == [good]
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("error: missing.md: no such file or folder")
    assert httpd.url("/gone") in lines[1] and "404" in lines[1]
    assert lines[2].startswith(f"error: {image}: expected an .html, .md or .txt file")
    assert lines[3].startswith("error: ftp://x/y:")
    assert "Traceback" not in err


def test_readable_output_shows_title_and_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    target = SAMPLES / "science" / "comet-debris-may-bring-meteor-outburst.txt"
    code, out, _ = run(capsys, str(target))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"== {target}"
    assert lines[1].startswith("Astronomers forecast")
    assert lines[2].startswith("- ")
    assert all(len(line) <= 100 for line in lines)


def test_bad_sentences_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--sentences", "0", "x.md")
    assert (code, out) == (2, "")
    assert err == "error: --sentences: expected a number from 1 to 20, got 0\n"


def test_llm_method_needs_an_endpoint(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter
) -> None:
    settings = make_config()  # no [summary.llm] table
    code, out, err = run(capsys, "--config", str(settings.path), "--method", "llm", "x.md")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: --method llm: {settings.path} has no [summary.llm] table")
    assert len(err.splitlines()) == 1


def test_method_option_and_llm_endpoint(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter
) -> None:
    target = str(SAMPLES / "science" / "comet-debris-may-bring-meteor-outburst.txt")
    _, lead_out, _ = run(capsys, "--json", "--method", "lead", target)
    _, extractive_out, _ = run(capsys, "--json", "--method", "extractive", target)
    (lead,) = json_lines(lead_out)
    text = lead["text"]
    assert isinstance(text, str)
    assert text.startswith(lead["sentences"][0])  # type: ignore[index]
    with LocalLLMServer() as server:
        server.default = Reply(content=echo_sentences(2, prefix="LLM: "))
        settings = make_config(
            extra=f'[summary.llm]\nbase_url = "{server.base_url}"\nmodel = "m"\ntimeout = 5'
        )
        code, out, err = run(
            capsys, "--config", str(settings.path), "--json", "--method", "llm", target
        )
        assert (code, err) == (0, "")
        (record,) = json_lines(out)
        assert str(record["summary"]).startswith("LLM: ")
        assert len(server.requests) == 1

        server.default = Reply(status=500, error="boom")
        code, out, err = run(
            capsys, "--config", str(settings.path), "--json", "--method", "llm", target
        )
    (fallback,) = json_lines(out)
    (extractive,) = json_lines(extractive_out)
    assert code == 0
    assert fallback["sentences"] == extractive["sentences"]
    assert err.startswith(f"warning: {target}: LLM failed, extractive summary used:")


# -- audit of issue 3 --------------------------------------------------------------------


def test_a_nested_folder_names_files_by_their_path_inside_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--json", str(SAMPLES))
    assert (code, err) == (0, "")
    records = json_lines(out)
    expected = sorted(
        str(path.relative_to(SAMPLES)).replace("\\", "/")
        for path in SAMPLES.rglob("*")
        if path.suffix in {".html", ".md", ".txt"} and path.name != "README.md"
    )
    assert sorted(str(r["target"]) for r in records) == expected
    assert {Path(str(r["target"])).suffix for r in records} == {".html", ".md", ".txt"}
    for record in records:
        text = str(record["text"])
        assert "<p" not in text and "</" not in text  # the extracted text, not the markup


def test_summaries_are_the_ones_the_pipeline_stores(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter
) -> None:
    import asyncio

    from digest.pipeline.articles import refresh
    from digest.store import Store

    settings = make_config(
        sources=[(name, str(SAMPLES / name), "News") for name in ("world", "science")],
        extra="[summary]\nsentences = 2\nmax_words = 60\n",
    )
    with Store(settings.storage.url) as store:
        asyncio.run(refresh(store, settings))
        stored = {a.title: a.summary for a in store.articles()}
    code, out, err = run(
        capsys, "--config", str(settings.path), "--json", str(SAMPLES / "world"),
        str(SAMPLES / "science"),
    )  # fmt: skip
    assert (code, err) == (0, "")
    records = json_lines(out)
    assert len(records) == len(stored) == 8
    for record in records:
        assert tuple(record["sentences"]) == stored[str(record["title"])]  # type: ignore[arg-type]


def test_readable_output_with_a_bad_target_still_prints_the_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = SAMPLES / "technology" / "smart-thermostat-firmware-flaw.md"
    code, out, err = run(capsys, str(good), "nowhere/missing.txt")
    assert code == 1
    assert out.startswith(f"== {good}\n") and "\n- " in out
    assert err.splitlines() == [err.rstrip("\n")]  # one line
    assert err.startswith("error: nowhere/missing.txt:")
    assert run(capsys, str(good))[0] == 0


def test_llm_timeout_falls_back_to_the_extractive_summary(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter
) -> None:
    target = str(SAMPLES / "world" / "mongolian-herders-get-winter-text-alerts.txt")
    _, extractive_out, _ = run(capsys, "--json", "--method", "extractive", target)
    with LocalLLMServer() as server:
        server.default = Reply(content="Too late.", delay=2)
        settings = make_config(
            extra=f'[summary.llm]\nbase_url = "{server.base_url}"\nmodel = "m"\ntimeout = 0.3'
        )
        code, out, err = run(
            capsys, "--config", str(settings.path), "--json", "--method", "llm", target
        )
    assert code == 0
    (record,) = json_lines(out)
    assert record["sentences"] == json_lines(extractive_out)[0]["sentences"]
    assert err.startswith(f"warning: {target}: LLM failed, extractive summary used:")
    assert "timeout" in err and len(err.splitlines()) == 1
