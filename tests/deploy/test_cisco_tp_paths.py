"""A codec's configuration path by path (infra.xconfig through configtree.compare/apply)."""

from __future__ import annotations

import pytest

from infra import xconfig
from infra.drivers.configtree import apply, compare, rollback, same

# as the codec prints it (`*c` lines, answer end) -- see recordings/cisco_tp/room_kit.yml
RUNNING = """*c xConfiguration Audio DefaultVolume: 50
*c xConfiguration Conference AutoAnswer Mode: On
*c xConfiguration Conference Encryption Mode: BestEffort
*c xConfiguration NetworkServices HTTP Mode: HTTP+HTTPS
*c xConfiguration SIP DefaultTransport: Auto
*c xConfiguration SIP Proxy 1 Address: ""
*c xConfiguration SIP URI: ""
** end

OK
"""

# the partial intent: only the paths infra manages (the renderer's canonical form)
INTENDED = """xConfiguration SIP URI: "sip:so-noi-vu@vc.lamvien.gov.vn"
xConfiguration SIP Proxy 1 Address: "10.94.20.16"
xConfiguration SIP DefaultTransport: TLS
xConfiguration Conference AutoAnswer Mode: Off
xConfiguration Conference Encryption Mode: BestEffort
xConfiguration NetworkServices HTTP Mode: HTTPS
xConfiguration Security Session InactivityTimeout: 15
"""


def test_canonical_form_drops_the_prefix_and_the_answer_end() -> None:
    text = xconfig.canonical(RUNNING)
    assert text.splitlines()[0] == "xConfiguration Audio DefaultVolume: 50"
    assert 'xConfiguration SIP Proxy 1 Address: ""' in text.splitlines()
    assert "** end" not in text and "OK" not in text.split()
    assert xconfig.canonical(text) == text  # a fixed point


def test_remediation_sets_only_the_managed_paths_that_differ() -> None:
    change = compare("cisco_tp", RUNNING, INTENDED)
    assert change.remediation == (
        'xConfiguration SIP URI: "sip:so-noi-vu@vc.lamvien.gov.vn"',
        'xConfiguration SIP Proxy 1 Address: "10.94.20.16"',
        "xConfiguration SIP DefaultTransport: TLS",
        "xConfiguration Conference AutoAnswer Mode: Off",
        "xConfiguration NetworkServices HTTP Mode: HTTPS",
        "xConfiguration Security Session InactivityTimeout: 15",  # missing on the codec: set it
    )
    assert rollback("cisco_tp", RUNNING, INTENDED) == (
        'xConfiguration SIP URI: ""',
        'xConfiguration SIP Proxy 1 Address: ""',
        "xConfiguration SIP DefaultTransport: Auto",
        "xConfiguration Conference AutoAnswer Mode: On",
        "xConfiguration NetworkServices HTTP Mode: HTTP+HTTPS",
    )  # nothing to go back to for a path the codec did not have
    assert (
        "- xConfiguration Conference AutoAnswer Mode: On\n+ xConfiguration Conference AutoAnswer Mode: Off"
        in change.diff
    )
    assert "Audio DefaultVolume" not in change.diff and "Encryption" not in change.diff


def test_remediation_and_rollback_are_circular() -> None:
    change = compare("cisco_tp", RUNNING, INTENDED)
    after = apply("cisco_tp", RUNNING, change.remediation)
    assert same("cisco_tp", after, INTENDED)  # intent on every managed path
    assert "xConfiguration Audio DefaultVolume: 50" in after.splitlines()  # the rest untouched
    assert compare("cisco_tp", after, INTENDED).empty  # a second compare shows nothing
    back = apply("cisco_tp", after, rollback("cisco_tp", RUNNING, INTENDED))
    managed_before = {k: v for k, v in xconfig.parse(RUNNING).items()}
    for key, setting in xconfig.parse(back).items():
        if key in managed_before:
            assert setting.value == managed_before[key].value, key
    assert same("cisco_tp", back, xconfig.canonical(RUNNING))


def test_paths_the_intent_does_not_name_are_never_drift() -> None:
    hand_changed = RUNNING.replace("DefaultVolume: 50", "DefaultVolume: 70")
    assert compare("cisco_tp", hand_changed, INTENDED) == compare("cisco_tp", RUNNING, INTENDED)


def test_a_hand_changed_managed_path_is_drift_naming_the_path() -> None:
    converged = apply("cisco_tp", RUNNING, compare("cisco_tp", RUNNING, INTENDED).remediation)
    hand = converged.replace("AutoAnswer Mode: Off", "AutoAnswer Mode: On")
    change = compare("cisco_tp", hand, INTENDED)
    assert change.remediation == ("xConfiguration Conference AutoAnswer Mode: Off",)
    assert rollback("cisco_tp", hand, INTENDED) == ("xConfiguration Conference AutoAnswer Mode: On",)


def test_paths_and_enumerations_compare_as_roomos_reads_them() -> None:
    """RoomOS reads paths in any case and prints enumerations its own way; strings are exact."""
    running = 'xConfiguration Conference AutoAnswer Mode: Off\nxConfiguration SIP URI: "sip:a@b"\n'
    assert compare("cisco_tp", running, "xconfiguration conference  autoanswer mode: off\n").empty
    assert not compare("cisco_tp", running, 'xConfiguration SIP URI: "sip:A@b"\n').empty


@pytest.mark.parametrize(
    ("intended", "error"),
    [
        ("hostname vc-1\n", r"line 1: not an `xConfiguration <path>: <value>` setting: 'hostname vc-1'"),
        (
            "xConfiguration H323 Mode: Off\nxConfiguration H323 Mode: On\n",
            r"line 2: H323 Mode is set twice \(Off and On\)",
        ),
    ],
)
def test_an_intent_that_is_not_settings_is_a_clear_error(intended: str, error: str) -> None:
    with pytest.raises(xconfig.XConfigError, match=error):
        compare("cisco_tp", RUNNING, intended)


def test_a_value_with_a_colon_keeps_it() -> None:
    s = xconfig.parse_line('*c xConfiguration SIP Proxy 1 Address: "sip:10.94.20.16:5061"')
    assert s is not None and (s.path, s.value) == ("SIP Proxy 1 Address", '"sip:10.94.20.16:5061"')
