import pytest

from livereview.digests.links import doi_url, pubmed_url, safe_url, work_url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox", "//evil.example/x", "/works/1", "ftp://example.org/x", "https://", "http:///path",
    'https://example.org/"onmouseover="alert(1)', "https://example.org/<script>", "https://exa mple.org/",
    "java\nscript:alert(1)", None, "",
])
def test_only_absolute_http_urls_with_a_host_are_links(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://doi.org/10.1/x", "http://example.org/a?b=1&c=2#f", "HTTPS://Example.org"])
def test_http_and_https_urls_pass_unchanged(url):
    assert safe_url(url) == url


def test_a_doi_link_is_built_only_for_a_real_doi_and_quoted():
    assert doi_url("10.1023/a:1018703901116") == "https://doi.org/10.1023/a:1018703901116"
    assert doi_url("10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0") == (
        "https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E3.0.co;2-0")
    assert doi_url('10.1234/x"><script>') == "https://doi.org/10.1234/x%22%3E%3Cscript%3E"
    for bad in ("javascript:alert(1)", "javascript:alert(1)//10.1000/x", "11.1000/x", "10.1000/", "10.1/x", None):
        assert doi_url(bad) is None


def test_a_pubmed_link_needs_a_numeric_pmid():
    assert pubmed_url("10354452") == "https://pubmed.ncbi.nlm.nih.gov/10354452/"
    assert pubmed_url("123 onclick=x") is None and pubmed_url("javascript:1") is None


def test_the_record_link_prefers_the_web_app_then_doi_then_pubmed_then_the_records_url():
    assert work_url(7, base_url="https://review.example.org/", doi="10.1/x", pmid="1") == (
        "https://review.example.org/works/7")
    assert work_url(7, base_url=None, doi="10.1000/x", pmid="1") == "https://doi.org/10.1000/x"
    assert work_url(7, base_url=None, doi=None, pmid="1") == "https://pubmed.ncbi.nlm.nih.gov/1/"
    assert work_url(7, base_url=None, doi=None, pmid=None, url="https://journal.example/a") == "https://journal.example/a"
    assert work_url(7, base_url="javascript:alert(1)//", doi=None, pmid=None, url="javascript:x") is None
