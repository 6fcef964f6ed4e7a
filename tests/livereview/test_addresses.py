"""One rule for e-mail addresses: the protocol's recipients, LIVEREVIEW_DIGEST_TO and the sender settings refuse
the same things, each naming the address."""

import json
import re

import pytest

from livereview.addresses import MAX_RECIPIENTS, check_recipients, check_sender
from livereview.digests.service import recipients_for
from livereview.errors import ConfigError, ProtocolError
from livereview.protocols.model import load_protocol, parse_protocol
from livereview.settings import BUNDLED_PROTOCOL, Settings

BAD = ["two@a.org,three@b.org", "name (team)@a.org", "no-at-sign", "a@b\r\nBcc: x@evil.org", '"q"@a.org']


def protocol_with(recipients):
    text = BUNDLED_PROTOCOL.read_text(encoding="utf-8")
    listed = ", ".join(json.dumps(r) for r in recipients)  # a JSON string is a TOML basic string
    text = re.sub(r"(?m)^recipients = \[.*?\]", lambda _: f"recipients = [{listed}]", text, count=1, flags=re.S)
    return parse_protocol(text, BUNDLED_PROTOCOL)


@pytest.mark.parametrize("bad", BAD)
def test_every_place_refuses_the_same_address(bad):
    with pytest.raises(ValueError, match="e-mail address"):
        check_recipients([bad])
    with pytest.raises(ProtocolError, match="e-mail address"):
        protocol_with([bad])
    if "," not in bad:  # LIVEREVIEW_DIGEST_TO separates by commas
        with pytest.raises(ConfigError, match="LIVEREVIEW_DIGEST_TO: .*e-mail address"):
            recipients_for(Settings(digest_to=bad), load_protocol(BUNDLED_PROTOCOL))
    with pytest.raises(ValueError, match="e-mail address"):
        check_sender(bad)


def test_good_recipients_pass_once_each_and_a_crowd_is_refused():
    assert check_recipients(["a@x.org", "b@x.org", "a@x.org"]) == ["a@x.org", "b@x.org"]
    assert check_sender("Review bot <bot@x.org>") == "Review bot <bot@x.org>"
    crowd = [f"r{i}@x.org" for i in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_RECIPIENTS}"):
        check_recipients(crowd)
    with pytest.raises(ConfigError, match=f"at most {MAX_RECIPIENTS}"):
        recipients_for(Settings(digest_to=",".join(crowd)), load_protocol(BUNDLED_PROTOCOL))
